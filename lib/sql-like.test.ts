import { describe, expect, it } from 'vitest';
import { containsLiteral, likeContains } from './sql-like.ts';

describe('likeContains', () => {
  it.each([
    ['phone', '%phone%'],
    ['50%', '%50!%%'],
    ['a_b', '%a!_b%'],
    ['wow!', '%wow!!%'],
  ])('%j → %j', (text, pattern) => {
    expect(likeContains(text)).toBe(pattern);
  });

  it('comes with the clause naming its escape character', () => {
    expect(containsLiteral('p.name', '50%')).toEqual(["?? LIKE ? ESCAPE '!'", ['p.name', '%50!%%']]);
  });
});

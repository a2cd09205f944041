import { describe, expect, it } from 'vitest';
import { applyShift, featureFor, stateOf } from './flag-mapping.ts';

describe('flag mapping', () => {
  it.each([
    [{ mode: 'legacy', percent: 30 }],
    [{ mode: 'shadow', percent: 100 }],
    [{ mode: 'canary', percent: 25 }],
    [{ mode: 'new', percent: 100 }],
  ] as const)('round-trips %o through the Unleash feature shape', (state) => {
    expect(stateOf(featureFor('strangler.x', state))).toEqual(state);
  });

  it('writes one flexibleRollout strategy with default stickiness and the mode as the variant', () => {
    expect(featureFor('strangler.x', { mode: 'canary', percent: 25 })).toMatchObject({
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '25', stickiness: 'default', groupId: 'strangler.x' },
          variants: [{ name: 'canary', weight: 1000 }],
        },
      ],
    });
  });

  it.each([
    ['25', { mode: 'canary', percent: 25 }],
    ['7.5%', { mode: 'canary', percent: 7.5 }],
    ['new', { mode: 'new', percent: 100 }],
    ['shadow', { mode: 'shadow', percent: 100 }],
    ['canary', { mode: 'canary', percent: 40 }],
    ['legacy', { mode: 'legacy', percent: 40 }],
  ])('shift %s from canary 40 %%', (target, expected) => {
    expect(applyShift({ mode: 'canary', percent: 40 }, target)).toEqual(expected);
  });

  it.each(['101', '-5', 'sideways', ''])('refuses shift target %o', (target) => {
    expect(() => applyShift({ mode: 'legacy', percent: 0 }, target)).toThrow(
      expect.objectContaining({ code: 'PROXY_ERR_BAD_SHIFT' }),
    );
  });
});

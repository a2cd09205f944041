import fs from 'node:fs';

/**
 * `npm start` is a chain of processes: npm, the shell npm runs the script with, tsx's CLI, and
 * this one (scripts/up.ts). SIGKILL of npm (or of the shell, or of tsx) leaves the rest
 * running, re-parented, and nothing tells up.ts. So up.ts watches the processes that launched
 * it: its ancestors in its own process group (the group a shell's job control gives
 * `npm start`: npm, sh, tsx, up.ts), and stops the toolkit as soon as one of them is gone, seen
 * as a process of the chain whose parent changed (the kernel re-parents a dead process's
 * children at once). The group's leader keeps its own parent unwatched, so `nohup npm start &`
 * outlives the shell it was typed in. Where /proc is missing (macOS), only this process's own
 * parent is watched.
 */
export interface LauncherLink {
  pid: number;
  parent: number;
}

function stat(pid: number): { ppid: number; pgid: number; state: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** This process and its ancestors in its process group, each with the parent it has now. */
export function launcherChain(): LauncherLink[] {
  const self = stat(process.pid);
  if (!self) return [{ pid: process.pid, parent: process.ppid }];
  const chain: LauncherLink[] = [];
  if (stat(self.ppid)?.pgid === self.pgid) chain.push({ pid: process.pid, parent: self.ppid });
  let pid = self.ppid;
  for (;;) {
    const s = stat(pid);
    if (!s || pid <= 1 || s.pgid !== self.pgid || s.ppid <= 0) break;
    // The group's first process (npm under job control) is watched through its child only.
    const parent = stat(s.ppid);
    if (!parent || parent.pgid !== self.pgid) break;
    chain.push({ pid, parent: s.ppid });
    pid = s.ppid;
  }
  return chain;
}

/** The first link whose process is gone or has a new parent; undefined while all hold. */
export function brokenLink(chain: LauncherLink[]): LauncherLink | undefined {
  for (const link of chain) {
    if (link.pid === process.pid) {
      if (process.ppid !== link.parent) return link;
      continue;
    }
    const s = stat(link.pid);
    if (!s || s.state === 'Z' || s.ppid !== link.parent) return link;
  }
  return undefined;
}

/** Calls `onGone` once when a process that launched this one is gone; polls every `intervalMs`. */
export function watchLauncher(onGone: (link: LauncherLink) => void, intervalMs = 250): () => void {
  const chain = launcherChain();
  const timer = setInterval(() => {
    const broken = brokenLink(chain);
    if (!broken) return;
    clearInterval(timer);
    onGone(broken);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

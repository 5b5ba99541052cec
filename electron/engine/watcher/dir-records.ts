// The directory records the inotify backends keep: each links its parent and its watched child directories
// (a doubly linked list, O(1) to add and remove, no Set per directory), and counts the entries directly
// inside it, so the size of a removed subtree (weighed by the delete guard) is known without a listing.
import type { RelPath } from '../byte-path.js';

export interface DirRecord<R extends DirRecord<R>> {
  rel: RelPath;
  /** Entries directly inside, as last listed and kept roughly current by events. */
  count: number;
  parent: R | null;
  firstChild: R | null;
  prev: R | null;
  next: R | null;
}

export function linkChild<R extends DirRecord<R>>(parent: R, child: R): void {
  child.parent = parent;
  child.prev = null;
  child.next = parent.firstChild;
  if (parent.firstChild) parent.firstChild.prev = child;
  parent.firstChild = child;
}

/** Takes `top` out of its parent's list of children. */
export function unlink<R extends DirRecord<R>>(top: R): void {
  const parent = top.parent;
  if (!parent) return;
  if (top.prev) top.prev.next = top.next;
  else parent.firstChild = top.next;
  if (top.next) top.next.prev = top.prev;
  top.parent = top.prev = top.next = null;
}

/** `top` and every record below it, parents before children. */
export function subtree<R extends DirRecord<R>>(top: R): R[] {
  const all: R[] = [];
  const stack = [top];
  for (let record = stack.pop(); record; record = stack.pop()) {
    all.push(record);
    for (let child = record.firstChild; child; child = child.next) stack.push(child);
  }
  return all;
}

/** The directory and everything below it, as far as the records know. */
export function subtreeSize<R extends DirRecord<R>>(top: R): number {
  let size = 0;
  const stack = [top];
  for (let record = stack.pop(); record; record = stack.pop()) {
    size += 1 + record.count;
    for (let child = record.firstChild; child; child = child.next) {
      size--; // counted by the child itself
      stack.push(child);
    }
  }
  return size;
}

export function adjustCount<R extends DirRecord<R>>(dir: R, delta: number): void {
  dir.count = Math.max(0, dir.count + delta);
}

// Benchmark suite: the registry of watching tools by id (the floor is not a watcher: see floor.ts).
import type { ToolId } from '../types.js';
import { inotifywaitTool } from './inotifywait.js';
import { lsyncdTool } from './lsyncd.js';
import { rsyncLiveTool } from './rsync-live.js';
import type { WatchTool } from './types.js';

export const WATCH_TOOLS: Readonly<Record<Exclude<ToolId, 'floor'>, WatchTool>> = {
  'rsync-live': rsyncLiveTool('inotify'),
  'rsync-live-noguard': rsyncLiveTool('noguard'),
  'rsync-live-chokidar': rsyncLiveTool('chokidar'),
  'lsyncd-0.1s': lsyncdTool(0.1),
  'lsyncd-15s': lsyncdTool(null),
  inotifywait: inotifywaitTool(),
};

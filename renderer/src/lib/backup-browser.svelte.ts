// The state of one Browse backup view (issue 16): the target's tree loaded lazily per directory, which
// directories are open, the selection, the search results, and restores of a selection (a deleted file's last
// version included). One instance per open view; calls go through the AppState.
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import type { BackupEntryView, RestoreResultView } from '../../../electron/shared/restore.ts';
import type { AppState } from './state.svelte.ts';

export interface DirNode {
  /** null while loading for the first time, or when the first listing failed. */
  entries: BackupEntryView[] | null;
  loading: boolean;
  error: string | null;
}

export interface SearchResults {
  query: string;
  entries: BackupEntryView[];
  truncated: boolean;
  loading: boolean;
  error: string | null;
}

/** One path to restore and, for an earlier copy, its day. */
export interface RestoreItem {
  path: string;
  name: string;
  version?: string;
}

/** A restore's merged outcome, with what was left alone because it is newer locally (to ask about). */
export interface RestoreOutcome {
  result: RestoreResultView;
  newer: RestoreItem[];
}

export class BackupBrowser {
  readonly pairId: string;
  readonly targetId: string;
  readonly #app: AppState;
  readonly #dirs = new SvelteMap<string, DirNode>();
  readonly #open = new SvelteSet<string>();
  readonly #selected = new SvelteMap<string, BackupEntryView>();
  #versions = $state(false);
  #search = $state<SearchResults | null>(null);

  constructor(app: AppState, pairId: string, targetId: string) {
    this.#app = app;
    this.pairId = pairId;
    this.targetId = targetId;
  }

  /** The pair keeps versions on this target: files have a Versions list. */
  get keepsVersions(): boolean {
    return this.#versions;
  }
  get search(): SearchResults | null {
    return this.#search;
  }
  get selection(): BackupEntryView[] {
    return [...this.#selected.values()];
  }

  dir(path: string): DirNode | undefined {
    return this.#dirs.get(path);
  }

  isOpen(path: string): boolean {
    return this.#open.has(path);
  }

  isSelected(path: string): boolean {
    return this.#selected.has(path);
  }

  select(entry: BackupEntryView, selected: boolean): void {
    if (selected) this.#selected.set(entry.path, entry);
    else this.#selected.delete(entry.path);
  }

  clearSelection(): void {
    this.#selected.clear();
  }

  /** Opens a directory (loading it the first time) or closes it. */
  toggle(path: string): void {
    if (this.#open.has(path)) {
      this.#open.delete(path);
      return;
    }
    this.#open.add(path);
    if (!this.#dirs.get(path)?.entries) void this.load(path);
  }

  /** (Re)loads one directory; the top is "". */
  async load(dir: string): Promise<void> {
    const before = this.#dirs.get(dir);
    this.#dirs.set(dir, { entries: before?.entries ?? null, loading: true, error: null });
    try {
      const listing = await this.#app.browse({ pairId: this.pairId, targetId: this.targetId, dir });
      this.#versions = listing.versions;
      this.#dirs.set(dir, { entries: listing.entries, loading: false, error: null });
    } catch (error) {
      // What was listed before stays, under the error (the target may be back in a moment).
      const message = (error as Error).message;
      this.#dirs.set(dir, { entries: before?.entries ?? null, loading: false, error: message });
    }
  }

  /** Reloads the top and every open directory (markers change after a restore). */
  async reload(): Promise<void> {
    await Promise.all(['', ...this.#open].map((dir) => this.load(dir)));
    if (this.#search && !this.#search.loading) await this.find(this.#search.query);
  }

  async find(query: string): Promise<void> {
    const text = query.trim();
    if (text === '') {
      this.#search = null;
      return;
    }
    this.#search = { query: text, entries: [], truncated: false, loading: true, error: null };
    try {
      const found = await this.#app.searchBackup({
        pairId: this.pairId,
        targetId: this.targetId,
        query: text,
      });
      if (this.#search.query === text) this.#search = { ...found, loading: false, error: null };
    } catch (error) {
      if (this.#search.query === text)
        this.#search = { ...this.#search, loading: false, error: (error as Error).message };
    }
  }

  clearSearch(): void {
    this.#search = null;
  }

  /** The selection as restore items: a deleted entry restores its last version. */
  selectedItems(): RestoreItem[] {
    return this.selection.map((entry) => ({
      path: entry.path,
      name: entry.name,
      ...(entry.deletedVersion === undefined ? {} : { version: entry.deletedVersion }),
    }));
  }

  /**
   * Restores the items (one call per version day), into the folder or `to`; newer local files are left alone
   * unless `overwriteNewer`. Reloads the tree afterwards so the markers show the folder as it is now.
   */
  async restore(
    items: RestoreItem[],
    options: { to?: string; overwriteNewer?: boolean } = {},
  ): Promise<RestoreOutcome> {
    // One call per version day ("" = the current backup), in the order the items name them.
    const days: string[] = [];
    for (const item of items) if (!days.includes(item.version ?? '')) days.push(item.version ?? '');
    const merged: RestoreResultView = {
      restored: 0,
      unchanged: 0,
      skippedNewer: [],
      failed: [],
      destination: '',
    };
    const newer: RestoreItem[] = [];
    try {
      for (const version of days) {
        const group = items.filter((item) => (item.version ?? '') === version);
        const result = await this.#app.restore({
          pairId: this.pairId,
          targetId: this.targetId,
          paths: group.map((item) => item.path),
          overwriteNewer: options.overwriteNewer ?? false,
          ...(options.to ? { to: options.to } : {}),
          ...(version ? { version } : {}),
        });
        merged.restored += result.restored;
        merged.unchanged += result.unchanged;
        merged.skippedNewer.push(...result.skippedNewer);
        merged.failed.push(...result.failed);
        merged.destination = result.destination;
        newer.push(...result.skippedNewer.map((s) => ({ ...s, ...(version ? { version } : {}) })));
      }
    } finally {
      // Something may have been written (a later day's call failed): the markers show the folder as it is.
      if (!options.to && (merged.restored > 0 || merged.skippedNewer.length > 0)) void this.reload();
    }
    return { result: merged, newer };
  }
}

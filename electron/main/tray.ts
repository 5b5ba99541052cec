// The tray icon: renders a TrayModel (tray-model.ts decides everything) into Electron's Tray, its tooltip and
// a context menu built with Menu.buildFromTemplate, and turns menu clicks into TrayActions. Icons come from
// resources/tray/<status>-24.png (Electron picks the @2x file on HiDPI screens). On Linux the menu is the
// main way in (many trays never report clicks), so it is rebuilt whenever the model changes (and after a check
// item's click, since Electron flips the mark before the app decides).
import path from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import {
  escapeMenuLabel,
  sameTrayModel,
  trayIconFile,
  type TrayAction,
  type TrayMenuItem,
  type TrayModel,
  type TrayStatus,
} from './tray-model.js';

export interface AppTrayOptions {
  resourcesDir: string;
  onAction: (action: TrayAction) => void;
}

export class AppTray {
  readonly #tray: Tray;
  readonly #options: AppTrayOptions;
  readonly #icons = new Map<TrayStatus, NativeImage>();
  #model: TrayModel | null = null;
  /** A check item was clicked: Electron flipped its mark itself, so the next update rebuilds the menu. */
  #menuStale = false;

  constructor(options: AppTrayOptions, initial: TrayModel) {
    this.#options = options;
    this.#tray = new Tray(this.#icon(initial.status));
    this.#tray.on('click', () => options.onAction('open'));
    this.update(initial);
  }

  update(model: TrayModel): void {
    if (!this.#menuStale && sameTrayModel(this.#model, model)) return;
    const previous = this.#model;
    this.#model = model;
    this.#menuStale = false;
    if (previous?.status !== model.status) this.#tray.setImage(this.#icon(model.status));
    if (previous?.tooltip !== model.tooltip) this.#tray.setToolTip(model.tooltip);
    this.#tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((item) => this.#menuItem(item))));
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #icon(status: TrayStatus): NativeImage {
    let icon = this.#icons.get(status);
    if (!icon) {
      icon = nativeImage.createFromPath(path.join(this.#options.resourcesDir, trayIconFile(status, 24)));
      if (icon.isEmpty())
        console.error(`rsync-live: tray icon for "${status}" is missing in ${this.#options.resourcesDir}`);
      this.#icons.set(status, icon);
    }
    return icon;
  }

  #menuItem(item: TrayMenuItem): MenuItemConstructorOptions {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'status':
        return { label: escapeMenuLabel(item.label), enabled: false };
      case 'action': {
        const action = item.action;
        return {
          label: escapeMenuLabel(item.label),
          enabled: item.enabled,
          click: () => this.#options.onAction(action),
        };
      }
      case 'checkbox': {
        const action = item.action;
        return {
          type: 'checkbox',
          label: escapeMenuLabel(item.label),
          checked: item.checked,
          click: () => {
            // The mark shown must be the model's, also when the change fails and the model stays the same.
            this.#menuStale = true;
            this.#options.onAction(action);
          },
        };
      }
    }
  }
}

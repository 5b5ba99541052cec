// AppTray renders the tray model with a stand-in `electron` module: the "Start at login" check item becomes a
// checkbox menu item with the model's mark, its click asks for the action, and since Electron flips the mark
// itself on click, the next update rebuilds the menu even when the model did not change (a failed change).
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { trayModel, type TrayAction } from '../../../electron/main/tray-model.js';
import { state, pair } from './state-builders.js';

const menus: MenuItemConstructorOptions[][] = [];

vi.mock('electron', () => ({
  Menu: {
    buildFromTemplate: (template: MenuItemConstructorOptions[]) => {
      menus.push(template);
      return template;
    },
  },
  Tray: class {
    on(): void {}
    setImage(): void {}
    setToolTip(): void {}
    setContextMenu(): void {}
    destroy(): void {}
  },
  nativeImage: { createFromPath: () => ({ isEmpty: () => false }) },
}));

const { AppTray } = await import('../../../electron/main/tray.js');

describe('AppTray', () => {
  it('renders Start at login as a checkbox and rebuilds the menu after its click', () => {
    const actions: TrayAction[] = [];
    const model = trayModel({ state: state(pair()), autostart: false });
    const tray = new AppTray({ resourcesDir: '/nowhere', onAction: (action) => actions.push(action) }, model);
    const item = menus.at(-1)?.find((entry) => entry.label === 'Start at login');
    expect(item).toMatchObject({ type: 'checkbox', checked: false });

    tray.update(trayModel({ state: state(pair()), autostart: false }));
    expect(menus).toHaveLength(1); // same model: the menu is kept

    item?.click?.({} as never, undefined, {} as never);
    expect(actions).toEqual(['toggle-autostart']);
    tray.update(trayModel({ state: state(pair()), autostart: false })); // the change failed: still off
    expect(menus).toHaveLength(2);
    expect(menus.at(-1)?.find((entry) => entry.label === 'Start at login')).toMatchObject({ checked: false });

    tray.update(trayModel({ state: state(pair()), autostart: true }));
    expect(menus.at(-1)?.find((entry) => entry.label === 'Start at login')).toMatchObject({ checked: true });
  });
});

// The app state as Svelte context, so components deep in the tree get the one shared instance.
import { createContext } from 'svelte';
import type { AppState } from './state.svelte.ts';

export const [getAppState, setAppState] = createContext<AppState>();

// Renderer entry: picks the transport (Electron bridge or headless server), creates the app state and mounts
// the Svelte app.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { AppState } from './lib/state.svelte.ts';
import { createTransport } from './lib/transport/index.ts';

const app = new AppState(createTransport());
app.start();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target, props: { app } });

import { mount } from 'svelte';
import './app.css';
import { connectApi } from './api';
import App from './App.svelte';
import Unavailable from './views/Unavailable.svelte';

const target = document.getElementById('app');
if (!target) {
  throw new Error('index.html has no #app element');
}

const connection = await connectApi();
// The static "Connecting…" line from index.html gives a first paint before the engine answers.
document.getElementById('boot')?.remove();
if (connection.ok) {
  mount(App, { target, props: { connection: connection.value } });
} else {
  mount(Unavailable, { target, props: { error: connection.error } });
}

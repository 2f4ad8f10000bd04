// Loads the options page's wasm and renders it (MV3 pages allow no inline script).
import init, { start_options } from './pkg/baigate_options.js';

try {
  await init();
  start_options();
} catch (error) {
  const app = document.getElementById('app');
  const message = document.createElement('p');
  message.className = 'notice error';
  message.setAttribute('role', 'alert');
  message.dataset.startError = 'true';
  message.textContent = `${chrome.i18n.getMessage('startFailed') || 'The page could not start.'} (${error})`;
  app.replaceChildren(message);
}

// Loads the popup's wasm and renders it (MV3 pages allow no inline script).
import init, { start_popup } from './pkg/baigate_extension.js';

try {
  await init();
  start_popup();
} catch (error) {
  // Without wasm there is no UI: say so rather than show an empty popup.
  const app = document.getElementById('app');
  const message = document.createElement('p');
  message.className = 'notice error';
  message.setAttribute('role', 'alert');
  message.dataset.startError = 'true';
  message.textContent = `${chrome.i18n.getMessage('startFailed') || 'The popup could not start.'} (${error})`;
  app.replaceChildren(message);
}

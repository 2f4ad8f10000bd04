// baigate's service worker: the listeners are registered here, synchronously
// at the top level (an event that woke the worker is otherwise missed), and
// each hands its event to the Rust code in pkg/baigate_worker.js once the
// wasm has loaded. The state lives in chrome.storage and chrome.alarms, so a
// worker the browser stopped picks up where it left off.
import init, {
  worker_alarm,
  worker_command,
  worker_message,
  worker_notification_button,
  worker_page_message,
  worker_started,
} from './pkg/baigate_worker.js';

// First, on every start of the worker: chrome.storage.local (the endpoint,
// the profiles) is for the extension's own pages only, as storage.session
// is by default; content scripts run inside web pages and ask the worker
// for the little they need (PAGE_MESSAGES).
chrome.storage.local
  .setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' })
  .catch((error) => console.error('baigate worker: storage.local stays open to content scripts:', error));

const ready = init();

// Messages the worker answers (the Rust WorkerMessage enum, held to this
// list by a test); the offscreen page's are left to it.
const WORKER_MESSAGES = new Set(['session-changed', 'clear-clipboard', 'settings-changed', 'clear-all', 'single-sign-on']);
// Messages the sidebar content script may send (the Rust PageMessage enum);
// the worker learns the page's origin from the browser, not the message.
const PAGE_MESSAGES = new Set(['remember-sidebar', 'remembered-sidebar']);

// The extension's own pages (the popup, the options page, which opens in a
// tab): a content script has the extension's id too, but the origin of the
// page it runs in.
function fromOwnPage(sender) {
  return sender.id === chrome.runtime.id && sender.origin === location.origin;
}

function fromContentScript(sender) {
  return sender.id === chrome.runtime.id && !!sender.tab && typeof sender.origin === 'string'
    && sender.origin !== location.origin;
}

function run(task) {
  return ready.then(task).catch((error) => console.error('baigate worker:', error));
}

chrome.runtime.onInstalled.addListener(() => run(() => worker_started()));
chrome.runtime.onStartup.addListener(() => run(() => worker_started()));
chrome.alarms.onAlarm.addListener((alarm) => run(() => worker_alarm(alarm.name)));
chrome.notifications.onButtonClicked.addListener((id, button) => run(() => worker_notification_button(id, button)));
chrome.commands.onCommand.addListener((command) => run(() => worker_command(command)));
chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (fromOwnPage(sender) && WORKER_MESSAGES.has(message?.type)) {
    run(() => worker_message(message)).then(reply, () => reply(false));
    return true;
  }
  if (fromContentScript(sender) && PAGE_MESSAGES.has(message?.type)) {
    run(() => worker_page_message(message, sender.origin)).then(reply, () => reply(null));
    return true;
  }
  return false;
});

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
  worker_started,
} from './pkg/baigate_worker.js';

const ready = init();

// Messages the worker answers (the Rust WorkerMessage enum, held to this
// list by a test); the offscreen page's are left to it.
const WORKER_MESSAGES = new Set(['session-changed', 'clear-clipboard', 'settings-changed', 'clear-all', 'single-sign-on']);

function run(task) {
  return ready.then(task).catch((error) => console.error('baigate worker:', error));
}

chrome.runtime.onInstalled.addListener(() => run(() => worker_started()));
chrome.runtime.onStartup.addListener(() => run(() => worker_started()));
chrome.alarms.onAlarm.addListener((alarm) => run(() => worker_alarm(alarm.name)));
chrome.notifications.onButtonClicked.addListener((id, button) => run(() => worker_notification_button(id, button)));
chrome.commands.onCommand.addListener((command) => run(() => worker_command(command)));
chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (sender.id !== chrome.runtime.id || !WORKER_MESSAGES.has(message?.type)) {
    return false;
  }
  run(() => worker_message(message)).then(reply, () => reply(false));
  return true;
});

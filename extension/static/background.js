// baigate's service worker. Its job here: wiping a secret the popup copied
// (an API key, recovery codes) from the clipboard after a delay, even when
// the popup has closed. An alarm survives the worker being stopped.
const ALARM = 'clear-clipboard';
const MINIMUM_SECONDS = 30;

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (sender.id !== chrome.runtime.id || message?.type !== 'clear-clipboard') {
    return false;
  }
  const seconds = Math.max(MINIMUM_SECONDS, Number(message.after_seconds) || MINIMUM_SECONDS);
  chrome.alarms.create(ALARM, { when: Date.now() + seconds * 1000 });
  reply({ scheduled: true });
  return false;
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) {
    clearClipboard().catch((error) => console.warn('baigate: clipboard not cleared', error));
  }
});

// A service worker has no clipboard: an offscreen page does the writing.
async function clearClipboard() {
  if (!(await chrome.offscreen.hasDocument())) {
    await chrome.offscreen.createDocument({
      url: 'offscreen.html',
      reasons: ['CLIPBOARD'],
      justification: 'Wipe a secret copied from the baigate popup off the clipboard.',
    });
  }
  await chrome.runtime.sendMessage({ type: 'offscreen-clear-clipboard' });
  await chrome.offscreen.closeDocument();
}

// Writes an empty text to the clipboard when the service worker asks
// (offscreen pages may use the clipboard; service workers may not).
chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only the extension's own service worker and pages, never a content script.
  if (sender.id !== chrome.runtime.id || sender.origin !== location.origin
    || message?.type !== 'offscreen-clear-clipboard') {
    return false;
  }
  const clear = (event) => {
    event.clipboardData.setData('text/plain', '');
    event.preventDefault();
  };
  document.addEventListener('copy', clear, { once: true });
  const scratch = document.getElementById('scratch');
  scratch.value = ' ';
  scratch.select();
  const done = document.execCommand('copy');
  reply({ cleared: done });
  return false;
});

// baigate's content script for Backend.AI WebUI pages: toggles the page's own
// sidebar between narrow and full width, from the popup, the toolbar command
// or the `[` key, and applies the width last chosen on this origin when the
// sidebar appears.
//
// Plain JavaScript on purpose: the WebUI sends a strict CSP that forbids
// WebAssembly, and a content script runs under the page's CSP. Everything
// else (sessions, settings, the badge) lives in the extension's own pages.
(() => {
  // Injected twice (registered and injected), run once.
  if (globalThis.baigateSidebar) return;
  globalThis.baigateSidebar = true;

  // How long the page may take to apply its own `[` shortcut before the
  // sidebar's button is clicked instead.
  const PAGE_HANDLER_WAIT_MS = 200;
  const COLLAPSED = ['bai-sider--collapsed', 'ant-layout-sider-collapsed'];
  const TYPING = /^(INPUT|TEXTAREA|SELECT)$/;

  // The sidebar: 26.x `.bai-sider`, antd-era `aside.ant-layout-sider`; a
  // 23.09 page is recognised by its header's menu button.
  function sidebar() {
    return document.querySelector('.bai-sider, .ant-layout-sider');
  }

  function menuButton() {
    return document.querySelector('.bai-sider-toggle')
      || document.querySelector('.webui-header-container .anticon-menu')?.closest('button');
  }

  function state() {
    const element = sidebar();
    if (!element) return null;
    return COLLAPSED.some((name) => element.classList.contains(name)) ? 'narrow' : 'wide';
  }

  // Resolves when the sidebar's width class changes, or after `ms`.
  function changeWithin(before, ms) {
    return new Promise((resolve) => {
      const element = sidebar();
      if (!element) return resolve(false);
      if (state() !== before) return resolve(true);
      let timer;
      const observer = new MutationObserver(() => {
        if (state() !== before) finish(true);
      });
      function finish(changed) {
        observer.disconnect();
        clearTimeout(timer);
        resolve(changed);
      }
      observer.observe(element, { attributes: true, attributeFilter: ['class'] });
      timer = setTimeout(() => finish(state() !== before), ms);
    });
  }

  let dispatching = false;
  let busy = false;

  // The page's own shortcut first (26.x listens for `[` on window and does
  // not check isTrusted); its sidebar or header button where it has none.
  async function toggle() {
    const before = state();
    if (!before || busy) return before;
    busy = true;
    try {
      const active = document.activeElement;
      if (active && TYPING.test(active.tagName)) active.blur();
      dispatching = true;
      try {
        window.dispatchEvent(new KeyboardEvent('keydown', { key: '[', code: 'BracketLeft', bubbles: true }));
      } finally {
        dispatching = false;
      }
      if (!(await changeWithin(before, PAGE_HANDLER_WAIT_MS))) {
        menuButton()?.click();
        await changeWithin(before, PAGE_HANDLER_WAIT_MS);
      }
      return remember(state());
    } finally {
      busy = false;
    }
  }

  // The worker keeps the width per origin (this script may not use the
  // extension's storage); a worker that cannot answer changes nothing.
  function remember(current) {
    if (current) chrome.runtime.sendMessage({ type: 'remember-sidebar', state: current }).catch(() => {});
    return current;
  }

  // Where typing happens, including inside open shadow roots.
  function typingTarget() {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return !!active && (TYPING.test(active.tagName) || active.isContentEditable);
  }

  function dialogOpen() {
    return !!document.querySelector('dialog[open], [aria-modal="true"], .ant-modal-wrap:not([style*="display: none"])');
  }

  // The sidebar's state as a `[` key press starts, read in the capture
  // phase before the page's own handlers run: a page whose `[` toggles at
  // once, without preventDefault, has changed it by the time the listener
  // below runs, which must then see the change rather than toggle again.
  let stateAtKeydown = null;
  window.addEventListener('keydown', (event) => {
    stateAtKeydown = event.key === '[' ? state() : null;
  }, true);

  // `[` on pages without the shortcut. On pages with it (the page calls
  // preventDefault, or its sidebar changes by itself), only remember.
  window.addEventListener('keydown', (event) => {
    const atKeydown = stateAtKeydown;
    stateAtKeydown = null;
    if (dispatching || !event.isTrusted || event.key !== '[') return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    if (typingTarget() || dialogOpen()) return;
    const before = atKeydown ?? state();
    if (!before || busy) return;
    const handledByPage = event.defaultPrevented;
    busy = true;
    changeWithin(before, PAGE_HANDLER_WAIT_MS).then(async (changed) => {
      if (!changed && !handledByPage) {
        menuButton()?.click();
        await changeWithin(before, PAGE_HANDLER_WAIT_MS);
      }
      busy = false;
      if (state() !== before) remember(state());
    });
  });

  // The width last chosen here, applied once to each sidebar that appears
  // (the WebUI mounts it after login, and again after a logout and login).
  const applied = new WeakSet();
  async function applyRemembered() {
    const element = sidebar();
    if (!element || applied.has(element)) return;
    applied.add(element);
    const answer = await chrome.runtime.sendMessage({ type: 'remembered-sidebar' }).catch(() => null);
    const wanted = answer?.state;
    if ((wanted === 'narrow' || wanted === 'wide') && state() && state() !== wanted) {
      await toggle();
    }
  }

  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      applyRemembered();
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  applyRemembered();

  chrome.runtime.onMessage.addListener((message, sender, reply) => {
    if (sender.id !== chrome.runtime.id || !state()) return false;
    if (message?.type === 'sidebar-state') {
      reply({ state: state() });
      return false;
    }
    if (message?.type === 'toggle-sidebar') {
      toggle().then((current) => reply({ state: current }));
      return true;
    }
    return false;
  });
})();

// Single sign-on with a Backend.AI webserver, in the tab the service worker
// opened: posts the WebUI's form (its plugin starts only from a POST) to
// <endpoint>/func/openid/login, with redirect_to on the endpoint's own
// origin, where the worker reads the token from the tab's address. Only an
// address of that form, sending the token back to the same origin, is
// posted to.
//
// A sandboxed page (manifest "sandbox"): the extension's other pages may
// post no form anywhere (CSP form-action 'none'); this one may, and in
// exchange has none of the extension's APIs, so the worker passes its
// words in.
const status = document.getElementById('status');
const query = new URLSearchParams(location.search);
status.textContent = query.get('opening') || 'Opening the sign-in page…';

function parse(text) {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

const action = parse(query.get('action'));
const redirectTo = parse(query.get('redirect_to'));
const valid =
  action !== null &&
  redirectTo !== null &&
  ['http:', 'https:'].includes(action.protocol) &&
  action.pathname.endsWith('/func/openid/login') &&
  action.search === '' &&
  redirectTo.origin === action.origin;

if (valid) {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action.href;
  const field = document.createElement('input');
  field.type = 'hidden';
  field.name = 'redirect_to';
  field.value = redirectTo.href;
  form.append(field);
  document.body.append(form);
  form.submit();
} else {
  status.removeAttribute('aria-busy');
  status.className = 'notice error';
  status.textContent = query.get('failed') || 'The sign-in window could not be opened.';
}

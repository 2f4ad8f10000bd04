// Live password checklist for the companion's pages. The server checks the
// same rules on submit; this only shows them while typing.
"use strict";
(function () {
  const form = document.querySelector("form[data-policy]");
  if (!form) return;
  const policy = JSON.parse(form.dataset.policy);
  const password = form.querySelector("input[name=password]");
  const confirm = form.querySelector("input[name=password_confirm]");
  const email = form.querySelector("input[name=email]");
  const username = form.querySelector("input[name=username]");
  const items = form.querySelectorAll("ul.checklist li[data-rule]");
  const match = form.querySelector("[data-match]");
  const encoder = new TextEncoder();
  const fold = (s) => (s || "").normalize("NFKC").toLowerCase().trim();
  const letters = (s) => [...s].filter((c) => /\p{L}/u.test(c)).join("");
  const serviceWords = (form.dataset.serviceWords || "").split(" ").filter(Boolean);

  function outcome(rule, value) {
    switch (rule) {
      case "min-length": return [...value].length >= policy.min_length;
      case "max-bytes": return encoder.encode(value).length <= policy.max_bytes;
      case "no-control-characters": return !/\p{Cc}/u.test(value);
      case "letter": return /\p{L}/u.test(value);
      case "digit": return /\p{N}/u.test(value);
      case "special": return /[^\p{L}\p{N}]/u.test(value);
      case "not-identity": {
        const names = [];
        if (username && username.value) names.push(fold(username.value));
        if (email && email.value) {
          const address = fold(email.value);
          names.push(address, address.split("@")[0]);
        }
        const candidate = fold(value);
        const known = names.filter(Boolean);
        if (known.includes(candidate)) return false;
        const bare = letters(candidate);
        return bare === "" ||
          !(serviceWords.includes(bare) || known.some((name) => letters(name) === bare));
      }
      default: return null; // decided by the server (the common-password list)
    }
  }

  function update() {
    const value = (password.value || "").normalize("NFC");
    for (const item of items) {
      const passed = value === "" ? null : outcome(item.dataset.rule, value);
      item.classList.toggle("ok", passed === true);
      item.classList.toggle("bad", passed === false);
    }
    if (confirm && match) {
      const differs = confirm.value !== "" && confirm.value !== password.value;
      match.hidden = !differs;
      confirm.setAttribute("aria-invalid", differs ? "true" : "false");
    }
  }
  for (const input of [password, confirm, email, username]) {
    if (input) input.addEventListener("input", update);
  }
  update();
})();

// Email SMTP page: presets, TLS mode following the port, the password control and an in-page
// Test connection. The page works without this script; it only saves clicks.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("smtp-form");
  if (!form) return;

  var $ = function (selector, root) { return (root || document).querySelector(selector); };
  var field = function (name) { return form.elements.namedItem(name); };
  var presets = JSON.parse($("#smtp-presets").textContent);
  var all = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  // The value of a field as sent (a radio group's checked value).
  function value(name) {
    var element = field(name);
    return element ? element.value : "";
  }
  var bound = ["auth_method", "host", "port", "tls_mode", "username", "oauth_provider", "oauth_tenant_id", "oauth_token_url", "oauth_client_id"];
  var initial = {};
  bound.forEach(function (name) { initial[name] = value(name); });

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // --- TLS mode follows the port ---------------------------------------------------------
  var portToMode = { "587": "starttls", "2525": "starttls", "25": "starttls", "465": "tls" };
  function portChanged() {
    var port = field("port").value.trim();
    if (portToMode[port]) field("tls_mode").value = portToMode[port];
    $("[data-port25-warning]").hidden = port !== "25";
  }
  field("port").addEventListener("input", portChanged);

  // --- presets ------------------------------------------------------------------------------
  var presetSelect = $("[data-preset-select]");
  var endpointField = $("[data-endpoint-field]");
  var endpointSelect = $("[data-endpoint-select]");
  var hint = $("[data-preset-hint]");

  function applyEndpoint(endpoint) {
    field("host").value = endpoint.host;
    field("port").value = endpoint.port;
    field("tls_mode").value = endpoint.tls_mode;
    $("[data-port25-warning]").hidden = String(endpoint.port) !== "25";
    credentialsChanged();
  }

  // Show a preset's servers and hints; with apply, fill the form with its first server.
  function showPreset(preset, apply) {
    endpointSelect.innerHTML = "";
    if (!preset) { endpointField.hidden = true; hint.hidden = true; return; }
    var current = 0;
    preset.endpoints.forEach(function (endpoint, index) {
      var option = document.createElement("option");
      option.value = String(index);
      option.textContent = endpoint.label;
      endpointSelect.appendChild(option);
      if (endpoint.host === value("host") && String(endpoint.port) === value("port")) current = index;
    });
    endpointField.hidden = preset.endpoints.length < 2;
    var method = apply ? preset.auth_methods[0] : value("auth_method");
    if (apply) {
      applyEndpoint(preset.endpoints[0]);
      setAuthMethod(method);
      // A username that is the same for every account is filled in; one that was filled in
      // for another preset is cleared.
      var defaults = presets.map(function (p) { return p.username_default; }).filter(Boolean);
      var username = field("username");
      if (preset.username_default && !username.value) username.value = preset.username_default;
      else if (defaults.indexOf(username.value) >= 0 && username.value !== preset.username_default) username.value = "";
      if (preset.oauth_provider) { field("oauth_provider").value = preset.oauth_provider; providerChanged(); }
    } else {
      endpointSelect.value = String(current);
    }
    // A username that is an API token is typed like a password (and stored like one).
    field("username").type = preset.username_is_secret ? "password" : "text";
    hint.textContent = "";
    var lines = method === "oauth2"
      ? [["Sign in: ", "OAuth 2.0" + (preset.auth_methods.indexOf("password") >= 0 ? " (a password still works: choose it below)" : "")], ["Mailbox: ", preset.oauth_username_hint]]
      : [["Username: ", preset.username_hint], ["Password: ", preset.password_hint]];
    if (preset.note) lines.unshift(["Note: ", preset.note]);
    lines.forEach(function (pair) {
      var line = document.createElement("span");
      var label = document.createElement("strong");
      label.textContent = pair[0];
      line.appendChild(label);
      line.appendChild(document.createTextNode(pair[1]));
      hint.appendChild(line);
    });
    hint.hidden = false;
    if (apply && !preset.endpoints[0].host) field("host").focus();
  }
  function chosenPreset() {
    return presets.find(function (p) { return p.key === presetSelect.value; });
  }
  presetSelect.addEventListener("change", function () { showPreset(chosenPreset(), true); });
  endpointSelect.addEventListener("change", function () {
    var preset = chosenPreset();
    if (preset) applyEndpoint(preset.endpoints[Number(endpointSelect.value)]);
  });

  // --- the stored password --------------------------------------------------------------------
  var passwordField = $("[data-password-field]");
  var passwordInput = $("[data-password-input]");
  var changeButton = $("[data-change-password]");
  var stored = passwordField.hasAttribute("data-stored");
  function showPassword(focus) {
    passwordInput.hidden = false;
    if (changeButton) changeButton.hidden = true;
    if (focus) field("password").focus();
  }
  if (stored && passwordInput.hasAttribute("data-collapsible")) passwordInput.hidden = true;
  if (changeButton) changeButton.addEventListener("click", function () { showPassword(true); });

  // Each stored secret is bound to some fields: change one and the secret must be typed again.
  function credentialsChanged() {
    all("[data-binds]").forEach(function (block) {
      var changed = block.getAttribute("data-binds").split(" ").some(function (name) { return value(name) !== initial[name]; });
      var storedHere = block.hasAttribute("data-stored") || !!block.querySelector(".stored-secret");
      var note = block.querySelector("[data-credentials-note]");
      if (note) note.hidden = !(changed && storedHere);
      if (changed && storedHere && block === passwordField) showPassword(false);
    });
  }
  bound.forEach(function (name) {
    var element = field(name);
    if (!element) return;
    var targets = element instanceof RadioNodeList ? Array.prototype.slice.call(element) : [element];
    targets.forEach(function (target) {
      target.addEventListener("input", credentialsChanged);
      target.addEventListener("change", credentialsChanged);
    });
  });

  // --- sign-in method and OAuth provider sections ----------------------------------------------
  var usernameLabel = $("[data-username-label]");
  var usernameOptional = $("[data-username-optional]");
  function setAuthMethod(method) {
    all("input[name=auth_method]", form).forEach(function (radio) { radio.checked = radio.value === method; });
    authChanged();
  }
  function authChanged() {
    var oauth = value("auth_method") === "oauth2";
    all("[data-auth]", form).forEach(function (block) { block.hidden = block.getAttribute("data-auth") !== (oauth ? "oauth2" : "password"); });
    all("[data-oauth-only]", form).forEach(function (block) { block.hidden = !oauth; });
    usernameLabel.textContent = oauth ? "Mailbox to send as" : "Username";
    usernameOptional.hidden = oauth;
    credentialsChanged();
  }
  function providerChanged() {
    var provider = value("oauth_provider");
    all("[data-provider]", form).forEach(function (block) {
      block.hidden = block.getAttribute("data-provider").split(" ").indexOf(provider) < 0;
    });
    credentialsChanged();
  }
  all("input[name=auth_method]", form).forEach(function (radio) { radio.addEventListener("change", authChanged); });
  field("oauth_provider").addEventListener("change", providerChanged);
  authChanged();
  providerChanged();

  // The help's commands carry what was typed (tenant, client ID, mailbox), ready to copy.
  function fillCommands() {
    all("[data-fill]").forEach(function (slot) {
      var typed = value(slot.getAttribute("data-fill")).trim();
      slot.textContent = typed || slot.getAttribute("data-placeholder");
    });
  }
  ["oauth_tenant_id", "oauth_client_id", "username"].forEach(function (name) { field(name).addEventListener("input", fillCommands); });
  fillCommands();
  all("[data-copy]").forEach(function (button) {
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });
  // "Switch to OAuth 2.0" in a test result (Microsoft refusing passwords).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-switch-oauth]");
    if (!link) return;
    event.preventDefault();
    setAuthMethod("oauth2");
    if (!value("oauth_provider") && /office365|outlook/.test(value("host"))) { field("oauth_provider").value = "microsoft"; providerChanged(); }
    document.getElementById("sign-in").scrollIntoView({ behavior: "smooth", block: "start" });
    field("oauth_provider").focus({ preventScroll: true });
  });

  // --- Test connection without leaving the page (the typed password stays in the form) -------
  var testButton = $("[data-test-button]");
  testButton.addEventListener("click", function (event) {
    if (!window.fetch) return;
    event.preventDefault();
    var label = testButton.textContent;
    testButton.disabled = true;
    testButton.textContent = "Testing…";
    var tested = snapshot();
    fetch(form.getAttribute("data-test-url"), {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#test-result");
        var current = document.getElementById("test-result");
        if (fresh && current) {
          current.replaceWith(fresh);
          showFieldErrors(fresh);
          var outcome = fresh.querySelector("[data-testid=test-outcome]");
          // Settings the test refused as invalid go to Save unasked: it refuses them too.
          if (outcome) lastTest = { snapshot: tested, ok: outcome.textContent.trim() === "Passed" };
          else if (fresh.querySelector("#test-field-errors")) lastTest = { snapshot: tested, ok: true };
          fresh.scrollIntoView({ behavior: "smooth", block: "nearest" });
        }
      })
      .catch(function () {
        var current = document.getElementById("test-result");
        current.hidden = false;
        current.textContent = "The test could not be started: check your connection and try again.";
      })
      .finally(function () {
        testButton.disabled = false;
        testButton.textContent = label;
      });
  });

  // A test's validation errors, beside the fields they are about (as a failed Save shows them).
  function showFieldErrors(result) {
    all("[data-test-error]", form).forEach(function (element) { element.remove(); });
    all(".field--test-error", form).forEach(function (element) {
      element.classList.remove("field--error", "field--test-error");
    });
    var source = result.querySelector("#test-field-errors");
    var errors = source ? JSON.parse(source.textContent) : {};
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var element = field(name);
      if (element instanceof RadioNodeList) element = element[0];
      var box = element && element.closest(".field");
      if (!box) return;
      if (!box.classList.contains("field--error")) box.classList.add("field--error", "field--test-error");
      errors[name].forEach(function (message) {
        var line = document.createElement("p");
        line.className = "field__error";
        line.setAttribute("data-test-error", "");
        line.textContent = message;
        box.appendChild(line);
      });
      first = first || element;
    });
    if (first) first.focus();
  }

  // --- Save asks first when these very settings have not passed a test ------------------------
  function snapshot() {
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    data.delete("oauth_key_file");
    return new URLSearchParams(data).toString();
  }
  // The saved settings' own test, as the page shows them (the form is the saved settings).
  var savedTest = form.getAttribute("data-saved-test");
  var lastTest = savedTest ? { snapshot: snapshot(), ok: savedTest === "passed" } : null;
  var confirmDialog = $("#save-confirm");
  var confirmed = false;
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.hasAttribute("data-test-button")) return;
    if (confirmed || !confirmDialog || typeof confirmDialog.showModal !== "function") return;
    var state = lastTest && lastTest.snapshot === snapshot() ? (lastTest.ok ? "passed" : "failed") : "untested";
    if (state === "passed") return;
    event.preventDefault();
    $("[data-confirm-failed]", confirmDialog).hidden = state !== "failed";
    $("[data-confirm-untested]", confirmDialog).hidden = state !== "untested";
    confirmDialog.showModal();
  });
  if (confirmDialog) {
    $("[data-confirm-save]", confirmDialog).addEventListener("click", function () {
      confirmed = true;
      confirmDialog.close();
      form.requestSubmit($("[data-save-button]"));
    });
    $("[data-confirm-test]", confirmDialog).addEventListener("click", function () {
      confirmDialog.close();
      testButton.click();
    });
    $("[data-confirm-cancel]", confirmDialog).addEventListener("click", function () { confirmDialog.close(); });
  }

  // The provider of the stored (or just typed) server, chosen again on load.
  if (presetSelect.value) showPreset(chosenPreset(), false);

  // --- leaving with unsaved edits asks first ----------------------------------------------------
  // A form shown again after a failed Save or a test holds edits that are not saved yet.
  var pristine = form.hasAttribute("data-unsaved") ? null : snapshot();
  var leaving = false;
  form.addEventListener("submit", function (event) { if (!event.defaultPrevented) leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || snapshot() === pristine) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers show their own "leave site?" text only with this
  });
})();

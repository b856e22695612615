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
  var credentialFields = ["host", "port", "tls_mode", "username"];
  var initial = {};
  credentialFields.forEach(function (name) { initial[name] = field(name).value; });

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // --- TLS mode follows the port ---------------------------------------------------------
  var portToMode = { "587": "starttls", "2525": "starttls", "25": "starttls", "465": "tls" };
  function portChanged() {
    var port = field("port").value.trim();
    if (portToMode[port]) field("tls_mode").value = portToMode[port];
    $("[data-port25-warning]").hidden = port !== "25";
  }
  field("port").addEventListener("input", function () { portChanged(); credentialsChanged(); });

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

  presetSelect.addEventListener("change", function () {
    var preset = presets.find(function (p) { return p.key === presetSelect.value; });
    endpointSelect.innerHTML = "";
    if (!preset) { endpointField.hidden = true; hint.hidden = true; return; }
    preset.endpoints.forEach(function (endpoint, index) {
      var option = document.createElement("option");
      option.value = String(index);
      option.textContent = endpoint.label;
      endpointSelect.appendChild(option);
    });
    endpointField.hidden = preset.endpoints.length < 2;
    applyEndpoint(preset.endpoints[0]);
    hint.textContent = "";
    [["Username: ", preset.username_hint], ["Password: ", preset.password_hint]].forEach(function (pair) {
      var line = document.createElement("span");
      var label = document.createElement("strong");
      label.textContent = pair[0];
      line.appendChild(label);
      line.appendChild(document.createTextNode(pair[1]));
      hint.appendChild(line);
    });
    hint.hidden = false;
    if (!preset.endpoints[0].host) field("host").focus();
  });
  endpointSelect.addEventListener("change", function () {
    var preset = presets.find(function (p) { return p.key === presetSelect.value; });
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

  function credentialsChanged() {
    if (!stored) return;
    var changed = credentialFields.some(function (name) { return field(name).value !== initial[name]; });
    $("[data-credentials-note]").hidden = !changed;
    if (changed) showPassword(false);
  }
  ["host", "username"].forEach(function (name) { field(name).addEventListener("input", credentialsChanged); });
  field("tls_mode").addEventListener("change", credentialsChanged);

  // --- Test connection without leaving the page (the typed password stays in the form) -------
  var testButton = $("[data-test-button]");
  testButton.addEventListener("click", function (event) {
    if (!window.fetch) return;
    event.preventDefault();
    var label = testButton.textContent;
    testButton.disabled = true;
    testButton.textContent = "Testing…";
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
})();

// Passkeys (WebAuthn) on the login, second-step and security pages.
// The server makes the options and checks the answers (diary/passkeys.py); this file carries
// them between it and the browser's navigator.credentials, as base64url JSON. Without it, or in
// a browser without passkeys, every page still works with passwords and codes.
"use strict";

function toBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
}

function toBase64url(buffer) {
  const text = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function withBytes(descriptors) {
  return (descriptors || []).map((descriptor) => ({ ...descriptor, id: toBytes(descriptor.id) }));
}

function creationOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: withBytes(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: withBytes(json.allowCredentials),
  };
}

function answer(credential) {
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    json.response.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
  }
  return JSON.stringify(json);
}

async function fetchOptions(url, form, fields) {
  const body = new URLSearchParams({
    csrfmiddlewaretoken: form.elements.csrfmiddlewaretoken.value,
    ...fields,
  });
  const response = await fetch(url, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(json.error || "The site did not answer. Please try again.");
  }
  return json;
}

function explain(error) {
  switch (error.name) {
    case "AbortError":
      return "";
    case "NotAllowedError":
      return "No passkey was used: it was cancelled, or took too long.";
    case "InvalidStateError":
      return "This device already holds a passkey for your account.";
    case "SecurityError":
      return "Passkeys do not work at this address.";
    default:
      return error.message || "Something went wrong. Please try again.";
  }
}

function submitAnswer(form, credential, action) {
  form.elements.credential.value = answer(credential);
  if (action) {
    form.action = action;
  }
  form.submit();
}

// Adding a passkey: the form's own submit button starts the ceremony, once the name is valid.
function setUpRegistration(form, say) {
  form.addEventListener("submit", async (event) => {
    if (form.elements.credential.value) {
      return;
    }
    event.preventDefault();
    if (!form.reportValidity()) {
      return;
    }
    say("Follow your device’s prompts to make the passkey…");
    try {
      const options = await fetchOptions(form.dataset.passkeyOptions, form, {});
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(options),
      });
      submitAnswer(form, credential);
    } catch (error) {
      say(explain(error));
    }
  });
}

// Signing in, the second step, confirming a change: a button asks for a passkey. On the login
// page the browser also offers passkeys in the username's autofill (conditional mediation);
// the button cancels that request and asks again with the same options.
function setUpRequest(container, form, say) {
  const button = container.querySelector("button[data-passkey]");
  const purpose = button.dataset.passkey;
  let options = null;
  let autofill = null;
  let asking = false;
  let held = false;

  function getOptions() {
    const fields = { purpose };
    if (button.dataset.exclude) {
      fields.exclude = button.dataset.exclude;
    }
    if (!options) {
      asking = true;
      options = fetchOptions(container.dataset.passkeyOptions, form, fields);
      const answered = () => {
        asking = false;
      };
      options.then(answered, answered);
    }
    return options;
  }

  // On a first visit the options' answer brings the session cookie. A password sent while
  // they are on their way would sign in under a cookie that answer then replaces, and the
  // next page would ask to log in again; so the form waits for them.
  form.addEventListener("submit", (event) => {
    if (asking) {
      event.preventDefault();
      if (!held) {
        held = true;
        options.catch(() => {}).finally(() => form.requestSubmit(event.submitter));
      }
    }
  });

  async function ask(mediation) {
    if (autofill) {
      autofill.abort();
    }
    const controller = new AbortController();
    if (mediation === "conditional") {
      autofill = controller;
    }
    const publicKey = requestOptions(await getOptions());
    const credential = await navigator.credentials.get({
      publicKey,
      mediation,
      signal: controller.signal,
    });
    submitAnswer(form, credential, container.dataset.passkeyAction);
  }

  button.addEventListener("click", () => {
    say("Follow your device’s prompts…");
    ask("optional").catch((error) => say(explain(error)));
  });
  if (purpose === "sign-in" && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
      if (available) {
        ask("conditional").catch((error) => {
          if (error.name !== "AbortError") {
            say(explain(error));
          }
        });
      }
    });
  }
}

// A passkey the site no longer knows (removed here, still on the phone): the browser may
// offer to forget it, where it supports the Signal API.
function signalUnknown(container) {
  const id = container.dataset.unknownPasskey;
  if (id && PublicKeyCredential.signalUnknownCredential) {
    PublicKeyCredential.signalUnknownCredential({
      rpId: container.dataset.rpId,
      credentialId: id,
    }).catch(() => {});
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  document.querySelectorAll("[data-passkey-options]").forEach((container) => {
    const form = container.closest("form");
    const message = container.querySelector(".passkey-message");
    const say = (text) => {
      if (message) {
        message.textContent = text;
      }
    };
    container.hidden = false;
    if (container.dataset.passkey === "register") {
      setUpRegistration(form, say);
    } else {
      setUpRequest(container, form, say);
      signalUnknown(container);
    }
  });
  document.querySelectorAll(".passkey-fallback").forEach((element) => {
    element.hidden = true;
  });
});

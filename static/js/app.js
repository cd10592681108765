// Small progressive enhancements. Every page works without this file.
"use strict";

document.documentElement.classList.add("js");

function setUpFootPicker(picker) {
  const form = picker.closest("form");
  if (!form) {
    return;
  }
  const boxes = new Map();
  form.querySelectorAll('input[name="locations"]').forEach((box) => boxes.set(box.value, box));
  const regions = picker.querySelectorAll(".foot-region[data-location]");

  function refresh() {
    regions.forEach((region) => {
      const box = boxes.get(region.dataset.location);
      region.setAttribute("aria-checked", box && box.checked ? "true" : "false");
    });
  }

  function toggle(region) {
    const box = boxes.get(region.dataset.location);
    if (box) {
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  regions.forEach((region) => {
    region.addEventListener("click", () => toggle(region));
    region.addEventListener("keydown", (event) => {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        toggle(region);
      }
    });
  });
  boxes.forEach((box) => box.addEventListener("change", refresh));
  refresh();
}

function setUpDurationChoices(group) {
  const input = group.closest("form").querySelector('input[name="duration"]');
  group.querySelectorAll("button[data-duration]").forEach((button) => {
    button.addEventListener("click", () => {
      input.value = button.dataset.duration;
      input.focus();
    });
  });
}

function setUpDetectedZone(notice) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = document.querySelector('select[name="time_zone"]');
  if (!zone || !select || zone === notice.dataset.current) {
    return;
  }
  if (!Array.from(select.options).some((option) => option.value === zone)) {
    return;
  }
  notice.querySelector(".detected-zone-name").textContent = zone.replace(/_/g, " ");
  notice.classList.remove("d-none");
  notice.querySelector(".use-detected-zone").addEventListener("click", () => {
    select.value = zone;
    select.focus();
  });
}

// Sign-up fills in the zone the phone or computer is set to; the person can still change it.
function fillTimeZone(select) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const known = Array.from(select.options).some((option) => option.value === zone);
  if (zone && known && select.value === "UTC") {
    select.value = zone;
  }
}

// Quick logs: every tap goes into the phone's queue (taps.js) before it is sent, and the
// status line says what became of it. Without scripts the form posts itself, just as well.
const Taps = window.CramplogTaps;
const OWNER = document.body.dataset.owner || "";
const OFFLINE_SAVED = "Saved on this phone — will be sent when you are online.";
// Two taps this close together are one tap, even without a connection.
const SAME_TAP_MS = 2000;

function csrfToken() {
  const input = document.querySelector('input[name="csrfmiddlewaretoken"]');
  return input ? input.value : "";
}

function say(text, link) {
  const status = document.querySelector(".tap-status");
  if (!status) {
    return;
  }
  status.textContent = text;
  if (link) {
    const anchor = document.createElement("a");
    anchor.href = link;
    anchor.textContent = "See it";
    status.append(" ", anchor);
  }
}

function timeOf(loggedAt) {
  return loggedAt.slice(11, 16);
}

// What became of the taps sent from the queue, by this page or by the service worker.
function report(results) {
  const sent = results.filter((result) => result.outcome === "sent");
  const refused = results.find((result) => result.outcome === "refused");
  if (refused) {
    say(refused.message);
  } else if (sent.length === 1) {
    say(`Sent: the cramp you logged at ${timeOf(sent[0].loggedAt)} is in your diary.`, sent[0].url);
  } else if (sent.length > 1) {
    say(`Sent: the ${sent.length} cramps kept on this phone are in your diary.`);
  } else if (results.some((result) => result.outcome === "offline")) {
    say(OFFLINE_SAVED);
  }
}

async function askForSync() {
  const registration = await navigator.serviceWorker?.ready;
  if (registration && registration.sync) {
    await registration.sync.register("cramplog-taps").catch(() => {});
  }
}

let sendingQueue = false;

async function sendQueue() {
  if (!OWNER || !Taps || sendingQueue || !navigator.onLine) {
    return;
  }
  sendingQueue = true;
  try {
    report(await Taps.sendAll(OWNER, csrfToken()));
  } catch {
    // No IndexedDB here (a private window in some browsers): nothing was queued.
  } finally {
    sendingQueue = false;
  }
}

function setUpQuickLog(form) {
  let tap = null;
  let posting = false;

  function postForm(button) {
    // Signed out: the form's own post keeps the tap on the server until the person signs in.
    ["client_id", "logged_at", "owner"].forEach((name) => {
      form.querySelector(`input[name="${name}"]`).value = tap[name];
    });
    posting = true;
    form.requestSubmit(button);
  }

  function forgetSoon() {
    setTimeout(() => {
      tap = null;
    }, SAME_TAP_MS);
  }

  form.addEventListener("submit", async (event) => {
    if (posting || !Taps) {
      return;
    }
    event.preventDefault();
    const button = event.submitter;
    if (tap || !button) {
      return;
    }
    tap = {
      client_id: Taps.newId(),
      foot: form.querySelector('input[name="foot"]:checked').value,
      locations: button.value,
      logged_at: Taps.localTime(new Date()),
      owner: form.querySelector('input[name="owner"]').value,
      url: form.action,
      token: csrfToken(),
    };
    try {
      await Taps.put(tap);
    } catch {
      postForm(button);
      return;
    }
    const result = await Taps.send(tap);
    if (result.outcome === "sent") {
      await Taps.remove(tap.client_id);
      say("Sent.");
      window.location.assign(result.url);
    } else if (result.outcome === "signed-out") {
      postForm(button);
    } else if (result.outcome === "refused") {
      await Taps.remove(tap.client_id);
      say(result.message);
      tap = null;
    } else if (result.outcome === "other-account") {
      say(result.message);
      tap = null;
    } else {
      say(OFFLINE_SAVED);
      askForSync();
      forgetSoon();
    }
  });
  // A page brought back by the Back button logs a new cramp, not the last one again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      tap = null;
      posting = false;
    }
  });
}

// The full form carries a client_id too, so sending it twice saves one cramp; a page shown
// again from the browser's memory gets a new one for the next cramp.
function renewClientIdOnReturn(input) {
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && Taps) {
      input.value = Taps.newId();
    }
  });
}

async function setUpOffline() {
  if (Taps) {
    // After a sign-out nobody owns the queue, and no account's home page is kept.
    await Taps.signedInAs(OWNER).catch(() => {});
    sendQueue();
    window.addEventListener("online", sendQueue);
  }
  if (!("serviceWorker" in navigator)) {
    return;
  }
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "taps-sent") {
      report(event.data.results);
    }
  });
  const registration = await navigator.serviceWorker.register("/sw.js").catch(() => null);
  if (registration && OWNER && document.querySelector(".quick-log") && !(await ownHomeKept())) {
    // This page came before the worker, or while it was taking over and so past it: ask the
    // worker to keep the home page for next time.
    const ready = await navigator.serviceWorker.ready;
    ready.active.postMessage("keep-home");
  }
}

async function ownHomeKept() {
  const kept = Taps && (await caches.match(Taps.HOME, { cacheName: Taps.PAGES }));
  return Boolean(kept) && (await Taps.pageOwner(kept)) === OWNER;
}

// This browser's push subscription, if the person turned reminders on here.
async function pushSubscription() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    return null;
  }
  const registration = await navigator.serviceWorker.getRegistration();
  return registration ? registration.pushManager.getSubscription() : null;
}

// Signing out starts forgetting at once; the signed-out page it leads to finishes the job,
// and the service worker drops the kept home page when it fetches a signed-out one. This
// device stops showing the person's reminders too: the form tells the server which push
// subscription to forget, and the browser drops it. The subscription is looked up when the
// page opens, so that signing out never waits for it.
function setUpSignOut(form) {
  let subscription = null;
  pushSubscription()
    .then((found) => {
      subscription = found;
    })
    .catch(() => {});
  form.addEventListener("submit", () => {
    if (Taps) {
      Taps.signedInAs("").catch(() => {});
    }
    if (subscription && !form.elements.push_endpoint) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "push_endpoint";
      input.value = subscription.endpoint;
      form.append(input);
      subscription.unsubscribe().catch(() => {});
    }
  });
}

// print.css opens closed disclosures where the browser supports ::details-content; elsewhere
// they are opened for printing here, and closed again afterwards.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details:not([open])").forEach((details) => {
    details.dataset.openedForPrint = "true";
    details.open = true;
  });
});

window.addEventListener("afterprint", () => {
  document.querySelectorAll("details[data-opened-for-print]").forEach((details) => {
    delete details.dataset.openedForPrint;
    details.open = false;
  });
});

// Printed reports name their period (and person) at the top of every page: report.css
// writes this property into an @page margin box, which cannot read the page's text itself.
function setUpRunningHeader(report) {
  const text = report.dataset.runningHeader.replace(/[\\"]/g, "\\$&").replace(/\s+/g, " ");
  document.documentElement.style.setProperty("--running-header", `"${text}"`);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".foot-picker").forEach(setUpFootPicker);
  document.querySelectorAll(".duration-quick").forEach(setUpDurationChoices);
  document.querySelectorAll(".detected-zone").forEach(setUpDetectedZone);
  document.querySelectorAll('select[data-fill="time-zone"]').forEach(fillTimeZone);
  document.querySelectorAll("form.quick-log").forEach(setUpQuickLog);
  document.querySelectorAll('.episode-form input[name="client_id"]').forEach(renewClientIdOnReturn);
  document.querySelectorAll("form.sign-out").forEach(setUpSignOut);
  setUpOffline();
  document.querySelectorAll(".report[data-running-header]").forEach(setUpRunningHeader);
  const errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
});

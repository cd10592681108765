// The phone's queue of quick logs, in IndexedDB, shared by the pages (app.js) and the service
// worker (worker.js). A tap is put here before it is sent, so a lost connection, an expired
// session or a closed page cannot lose it; its client_id makes every resend save one cramp.
"use strict";

self.CramplogTaps = (() => {
  const DATABASE = "cramplog";
  const TAPS = "taps";
  const META = "meta";
  // The service worker keeps the home page of the account signed in here, and nobody else's.
  const PAGES = "cramplog-pages";
  const HOME = "/";
  const SENT_FIELDS = ["client_id", "foot", "locations", "logged_at", "owner"];

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(TAPS, { keyPath: "client_id" });
        request.result.createObjectStore(META);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, action) {
    const database = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = database.transaction(storeName, mode);
        const request = action(transaction.objectStore(storeName));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      database.close();
    }
  }

  const put = (tap) => run(TAPS, "readwrite", (store) => store.put(tap));
  const remove = (clientId) => run(TAPS, "readwrite", (store) => store.delete(clientId));
  const all = () => run(TAPS, "readonly", (store) => store.getAll());
  // Whose the phone is: the owner token of the account last seen signed in, "" for nobody.
  const owner = () => run(META, "readonly", (store) => store.get("owner"));
  const setOwner = (value) => run(META, "readwrite", (store) => store.put(value, "owner"));

  // The time of a tap as the server reads it: the wall-clock time here, with its offset.
  function localTime(date) {
    const pad = (number) => String(number).padStart(2, "0");
    const offset = -date.getTimezoneOffset();
    const sign = offset < 0 ? "-" : "+";
    const hours = pad(Math.floor(Math.abs(offset) / 60));
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${sign}${hours}:${pad(Math.abs(offset) % 60)}`
    );
  }

  // crypto.randomUUID() needs HTTPS; getRandomValues() works on a plain-HTTP address too.
  function newId() {
    if (self.crypto.randomUUID) {
      return self.crypto.randomUUID();
    }
    const bytes = self.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Send one tap: its outcome is "sent", "offline", "signed-out", "other-account" (kept for
  // that account), "refused" (with the server's reason) or "retry".
  async function send(tap, token) {
    const body = new FormData();
    SENT_FIELDS.forEach((name) => body.append(name, tap[name]));
    body.append("csrfmiddlewaretoken", token || tap.token);
    let response;
    try {
      response = await fetch(tap.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      return { outcome: "offline" };
    }
    const json = (response.headers.get("Content-Type") || "").startsWith("application/json");
    const answer = json ? await response.json() : {};
    if (response.ok && json) {
      return { outcome: "sent", url: answer.url };
    }
    const outcomes = { 401: "signed-out", 409: "other-account", 400: "refused" };
    return { outcome: (json && outcomes[response.status]) || "retry", message: answer.error };
  }

  // Send every tap this account made; each one sent or refused leaves the queue.
  async function sendAll(currentOwner, token) {
    const results = [];
    for (const tap of await all()) {
      if (tap.owner !== currentOwner) {
        continue;
      }
      const result = await send(tap, token);
      if (result.outcome === "sent" || result.outcome === "refused") {
        await remove(tap.client_id);
      }
      results.push({ ...result, loggedAt: tap.logged_at });
      if (result.outcome === "offline") {
        break;
      }
    }
    return results;
  }

  // The account a page was made for, as base.html writes it on <body>.
  async function pageOwner(response) {
    const found = /<body data-owner="([^"]*)"/.exec(await response.text());
    return found ? found[1] : "";
  }

  // Remember whose the phone is now, and drop a kept home page that is not theirs: after a
  // sign-out nobody's is kept.
  async function signedInAs(currentOwner) {
    await setOwner(currentOwner);
    if (!self.caches) {
      return;
    }
    const pages = await caches.open(PAGES);
    const home = await pages.match(HOME);
    if (home && (!currentOwner || (await pageOwner(home)) !== currentOwner)) {
      await pages.delete(HOME);
    }
  }

  return { PAGES, HOME, put, remove, all, owner, localTime, newId, send, sendAll, pageOwner, signedInAs };
})();

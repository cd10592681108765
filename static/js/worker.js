// cramplog's service worker. /sw.js (diary.views.service_worker) defines OFFLINE_FILES and
// OFFLINE_PAGE and loads this file after taps.js.
//
// Written by hand rather than with Workbox: it does three small things (keep the static
// files, keep the home page of the account signed in, send the queue of taps), and the
// queue's rules (whose each tap is, what a signed-out answer means) are the app's own, which
// Workbox's generic background sync would replay blindly.
"use strict";

const Taps = self.CramplogTaps;
const SYNC_TAG = "cramplog-taps";

function hash(text) {
  let value = 0;
  for (const character of text) {
    value = (Math.imul(value, 31) + character.codePointAt(0)) | 0;
  }
  return (value >>> 0).toString(36);
}

// A release that changes any static file changes its hashed name, so this name, too.
const STATIC = `cramplog-static-${hash([...OFFLINE_FILES, OFFLINE_PAGE].join(" "))}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC);
      await cache.addAll(OFFLINE_FILES);
      // Fetched without cookies: the offline page is the same for everyone.
      await cache.add(new Request(OFFLINE_PAGE, { credentials: "omit" }));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("cramplog-static-") && name !== STATIC) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request, { cacheName: STATIC }).then((kept) => kept || fetch(request)),
    );
  }
});

// Pages come from the network. Without one, the home page comes from the cache if it is the
// signed-in account's, and any other page says there is no connection.
async function navigate(request, url) {
  try {
    const response = await fetch(request);
    if (url.pathname === Taps.HOME) {
      await keepHome(response.clone());
    }
    return response;
  } catch {
    const home = url.pathname === Taps.HOME && (await ownHome());
    return home || (await caches.match(OFFLINE_PAGE, { cacheName: STATIC })) || Response.error();
  }
}

// The home page of whoever it was made for; a signed-out home page means nobody's is kept.
async function keepHome(response) {
  if (!response.ok) {
    return;
  }
  const pages = await caches.open(Taps.PAGES);
  if (await Taps.pageOwner(response.clone())) {
    await pages.put(Taps.HOME, response);
  } else {
    await pages.delete(Taps.HOME);
  }
}

async function ownHome() {
  const kept = await caches.match(Taps.HOME, { cacheName: Taps.PAGES });
  const owner = await Taps.owner();
  if (kept && owner && (await Taps.pageOwner(kept.clone())) === owner) {
    return kept;
  }
  return null;
}

self.addEventListener("message", (event) => {
  // A page that opened before this worker took over asks for the home page to be kept.
  if (event.data === "keep-home") {
    event.waitUntil(
      fetch(Taps.HOME, { credentials: "same-origin" })
        .then(keepHome)
        .catch(() => {}),
    );
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) {
    event.waitUntil(sendQueued());
  }
});

async function sendQueued() {
  const owner = await Taps.owner();
  if (!owner) {
    return;
  }
  const results = await Taps.sendAll(owner);
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage({ type: "taps-sent", results });
  }
  if (results.some((result) => result.outcome === "offline" || result.outcome === "retry")) {
    // The browser tries a failed sync again later.
    throw new Error("Some taps are still waiting to be sent.");
  }
}

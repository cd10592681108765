// Reminders as notifications, for the service worker (/sw.js loads it with importScripts).
// Each message (reminders/push.py) says what to show and which page a tap opens; it carries no
// health details, so a locked screen shows nothing private.
"use strict";

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {};
  event.waitUntil(
    self.registration.showNotification(message.title || "cramplog", {
      body: message.body || "",
      tag: message.url || "cramplog",
      data: { url: message.url || "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(
    (async () => {
      for (const client of await self.clients.matchAll({ type: "window" })) {
        if (client.url === url && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(url);
    })(),
  );
});

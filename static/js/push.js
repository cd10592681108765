// Reminders as notifications: subscribes this browser to web push with the site's
// application server key (VAPID) and gives the subscription to the server. The service worker
// shows each message and opens its link when tapped (push-worker.js). Without push or a
// service worker, the button stays hidden and reminders go by e-mail only.
"use strict";

(function () {
  const section = document.querySelector(".push-reminders");
  if (!section || !("serviceWorker" in navigator) || !("PushManager" in window)) {
    return;
  }
  const button = section.querySelector(".push-subscribe");
  const status = section.querySelector(".push-status");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");

  function toBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
  }

  async function subscribe() {
    button.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        status.textContent = "Notifications are blocked for this site in the browser's settings.";
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: toBytes(section.dataset.key),
      });
      const response = await fetch(section.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify(subscription.toJSON()),
        credentials: "same-origin",
      });
      status.textContent = response.ok
        ? "Notifications are on for this device."
        : "The server did not take this device's subscription. Try again later.";
    } catch (error) {
      status.textContent = "This browser could not turn on notifications here.";
    } finally {
      button.disabled = false;
    }
  }

  // Only where the installed app's service worker runs: it is what shows the notifications.
  navigator.serviceWorker.getRegistration().then((registration) => {
    if (registration) {
      button.hidden = false;
      button.addEventListener("click", subscribe);
    }
  });
})();

// Light or dark, set before the page is drawn. The server writes the profile's choice on
// <html>; "auto" (and every signed-out page) follows the phone or computer's own setting.
"use strict";

(() => {
  const root = document.documentElement;
  if (root.dataset.themeChoice !== "auto") {
    return;
  }
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => root.setAttribute("data-bs-theme", dark.matches ? "dark" : "light");
  apply();
  dark.addEventListener("change", apply);
})();

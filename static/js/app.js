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

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".foot-picker").forEach(setUpFootPicker);
  document.querySelectorAll(".duration-quick").forEach(setUpDurationChoices);
  document.querySelectorAll(".detected-zone").forEach(setUpDetectedZone);
  const errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
});

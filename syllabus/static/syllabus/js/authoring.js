// Outline editor: drag and drop of modules and of lessons within a module.
// Progressive enhancement: the Up and Down buttons (plain forms, htmx) do the same
// without a mouse or without JavaScript. A drop posts the list's whole new order, and the
// server answers with the outline, which replaces the old one.
(function () {
  "use strict";

  let dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function items(list) {
    return Array.from(list.children).filter((el) => el.dataset && el.dataset.dragId);
  }

  function enable(root) {
    root.querySelectorAll("[data-order-url] > [data-drag-id]").forEach((item) => {
      item.setAttribute("draggable", "true");
      item.classList.add("draggable");
    });
  }

  function send(list) {
    const body = new URLSearchParams();
    items(list).forEach((item) => body.append("order", item.dataset.dragId));
    body.append("moved", dragged ? dragged.dataset.dragId : "");
    fetch(list.dataset.orderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body,
    })
      .then((response) => response.text())
      .then((html) => {
        const outline = document.getElementById("outline");
        if (!outline) return;
        const holder = document.createElement("div");
        holder.innerHTML = html.trim();
        const fresh = holder.firstElementChild;
        if (!fresh) return;
        outline.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        enable(fresh);
      })
      .catch(() => window.location.reload());
  }

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest("[data-drag-id]");
    if (!item || !item.parentElement.dataset.orderUrl) return;
    event.stopPropagation();
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.dragId);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = event.target.closest && event.target.closest("[data-drag-id]");
    // Only within the dragged item's own list: lessons stay in their module.
    let target = over;
    while (target && target.parentElement !== dragged.parentElement) {
      target = target.parentElement && target.parentElement.closest("[data-drag-id]");
    }
    if (!target || target === dragged) return;
    event.preventDefault();
    const box = target.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    target.parentElement.insertBefore(dragged, after ? target.nextSibling : target);
  });

  document.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const list = dragged.parentElement;
    dragged.classList.remove("dragging");
    const original = list.dataset.initialOrder || "";
    const now = items(list).map((item) => item.dataset.dragId).join(",");
    if (now !== original) send(list);
    dragged = null;
  });

  document.addEventListener("DOMContentLoaded", () => {
    const outline = document.getElementById("outline");
    if (outline) enable(outline);
    document.querySelectorAll("[data-order-url]").forEach((list) => {
      list.dataset.initialOrder = items(list).map((item) => item.dataset.dragId).join(",");
    });
  });
  document.addEventListener("htmx:afterSwap", () => {
    const outline = document.getElementById("outline");
    if (outline) enable(outline);
    document.querySelectorAll("[data-order-url]").forEach((list) => {
      list.dataset.initialOrder = items(list).map((item) => item.dataset.dragId).join(",");
    });
  });
})();

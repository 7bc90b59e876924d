// Syllabus page behaviour. Loaded as a file (no inline scripts) so the CSP needs no
// 'unsafe-inline'. Progressive enhancement only: every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the main landmark after an htmx swap of the whole content, so screen
  // reader users hear the new page.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "main") {
      event.detail.target.focus();
    }
  });

  // A wide table whose row headers stick to the left edge (the gradebook): the browser
  // must scroll a focused cell beside that column, not under it (WCAG 2.4.11). The
  // scroll box keeps room as wide as the column; its stylesheet reserves a guess.
  const keepRoomForStickyColumn = (box) => {
    const header = box.querySelector('th[scope="row"]');
    if (!header || getComputedStyle(header).position !== "sticky") return;
    const update = () => {
      const room = Math.ceil(header.getBoundingClientRect().width) + 8;
      box.style.setProperty("scroll-padding-left", `${room}px`);
    };
    update();
    if ("ResizeObserver" in window) new ResizeObserver(update).observe(header);
  };
  document.querySelectorAll(".table-scroll").forEach(keepRoomForStickyColumn);
  // htmx replaces gradebook rows: measure the new header again.
  document.body.addEventListener("htmx:afterSettle", () => {
    document.querySelectorAll(".table-scroll").forEach(keepRoomForStickyColumn);
  });
  // The browser does not scroll a cell that is already in its box at all, even when the
  // sticky column covers it: move it out from under the column.
  const uncover = (target) => {
    const box = target.closest(".table-scroll");
    const header = box && target.closest("tr") && target.closest("tr").querySelector('th[scope="row"]');
    if (!header || header.contains(target) || getComputedStyle(header).position !== "sticky") return;
    const covered = header.getBoundingClientRect().right + 8 - target.getBoundingClientRect().left;
    if (covered > 0) box.scrollLeft -= covered;
  };
  document.addEventListener("focusin", (event) => {
    if (!(event.target instanceof Element)) return;
    uncover(event.target);
    requestAnimationFrame(() => uncover(event.target)); // after the browser's own scroll
  });
});

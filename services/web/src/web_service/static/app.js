// Progressive enhancement only: every page works without this file.
import { initAll } from "/govuk/govuk-frontend.min.js";

initAll();

// Live conversation: new messages arrive through the web app's own stream,
// which carries the server-side token; no token ever reaches this page.
const thread = document.querySelector("[data-live-stream]");
if (thread && "EventSource" in window) {
  const list = thread.querySelector("[data-messages]");
  const status = document.querySelector("[data-live-status]");
  const seen = new Set(
    Array.from(list.querySelectorAll("[data-message-id]"), (el) => el.dataset.messageId)
  );
  const source = new EventSource(thread.dataset.liveStream);
  source.addEventListener("open", () => {
    if (status) status.textContent = "New messages will appear here as they arrive.";
  });
  source.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (seen.has(message.id)) return;
    seen.add(message.id);
    const item = document.createElement("li");
    item.className = "mm-message";
    item.dataset.messageId = message.id;
    const who = document.createElement("p");
    who.className = "govuk-body-s govuk-!-margin-bottom-1";
    const mine = message.sender_id === thread.dataset.me;
    if (mine) item.classList.add("mm-message--mine");
    who.textContent = mine ? "You" : thread.dataset.otherName;
    const body = document.createElement("p");
    body.className = "govuk-body";
    body.textContent = message.body ?? message.deleted_placeholder ?? "";
    item.append(who, body);
    if (!mine && !message.deleted) {
      // The same "Report" link the server renders under the other person's messages.
      const report = document.createElement("p");
      report.className = "govuk-body-s";
      const link = document.createElement("a");
      link.className = "govuk-link";
      link.href = thread.dataset.liveStream.replace(/\/stream$/, "") + "/messages/" +
        encodeURIComponent(message.id) + "/report";
      link.textContent = "Report";
      const hidden = document.createElement("span");
      hidden.className = "govuk-visually-hidden";
      hidden.textContent = " the message from " + thread.dataset.otherName;
      link.append(hidden);
      report.append(link);
      item.append(report);
    }
    list.prepend(item);
    if (status) status.textContent = "New message from " + who.textContent + ".";
  });
}

// Coach import: the invitations' progress line refreshes itself while sending.
const progress = document.querySelector("[data-import-progress]");
if (progress) {
  const refresh = async () => {
    try {
      const answer = await fetch(progress.dataset.importProgress, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!answer.ok) return;
      const found = await answer.json();
      if (found.progress !== progress.textContent) progress.textContent = found.progress;
      if (found.sending) setTimeout(refresh, 5000);
    } catch {
      setTimeout(refresh, 15000);
    }
  };
  setTimeout(refresh, 5000);
}

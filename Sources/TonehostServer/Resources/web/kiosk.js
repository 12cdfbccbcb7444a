// The kiosk page's client for tonehost's original API, in plain browser JavaScript (no build
// step). It streams POST /api/rag-llm/query-with-tone, shows the tone from the X-Tone header,
// keeps the session's turns, and closes the session on "New visitor". The same functions work
// from another origin when the server's cors_origins allows it (set "Server" in Connection).
"use strict";

const TEXT = {
  en: { title: "Ask the guide", otherLanguage: "中文", newVisitor: "New visitor", tone: "Tone", question: "Your question",
        visitor: "Visitor description (optional)", send: "Ask", settings: "Connection", server: "Server (empty: this one)",
        apiKey: "API key (if the server needs one)", session: "Session", thinking: "Answering…", closed: "Session closed — welcome!",
        failed: "The answer failed: " },
  zh: { title: "請問導覽員", otherLanguage: "English", newVisitor: "新的訪客", tone: "語氣", question: "您的問題",
        visitor: "訪客描述（選填）", send: "發問", settings: "連線設定", server: "伺服器（留空：本站）",
        apiKey: "API 金鑰（伺服器需要時）", session: "對話", thinking: "回答中…", closed: "對話已結束，歡迎下一位！",
        failed: "回答失敗：" },
};

/** Streams one answer. `onText(chunk)` gets the answer as it arrives; resolves to
 *  {tone, text, error} once END_FLAG is read. Framing (MISSION §5): END_FLAG and ERROR: lines
 *  stand on lines of their own, so only complete lines are checked for them. */
async function askTonehost({ server = "", apiKey = "", sessionId, question, userDescription, onText, onTone }) {
  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers["Authorization"] = "Bearer " + apiKey;
  const body = { text_user_msg: question, session_id: sessionId };
  if (userDescription) body.user_description = userDescription;
  const response = await fetch(server + "/api/rag-llm/query-with-tone", { method: "POST", headers, body: JSON.stringify(body) });
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  const tone = response.headers.get("X-Tone");
  if (onTone) onTone(tone);
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  // `pending` is the unfinished current line; `lineStart` says whether it began at a line start
  // (only then can it be END_FLAG or ERROR:). It is shown early when it cannot be framing.
  let pending = "", lineStart = true, text = "", error = null, done = false;
  const emit = (s) => { if (s) { text += s; if (onText) onText(s); } };
  const mayBeFraming = (s) => "END_FLAG".startsWith(s) || "ERROR:".startsWith(s) || s.startsWith("ERROR:");
  while (!done) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    pending += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (lineStart && line === "END_FLAG") { done = true; break; }
      if (lineStart && line.startsWith("ERROR:")) { error = line.slice(6).trim(); continue; }
      emit(line + "\n");
      lineStart = true;
    }
    if (!done && pending && !(lineStart && mayBeFraming(pending))) {
      emit(pending);
      pending = "";
      lineStart = false;
    }
  }
  reader.cancel().catch(() => {});
  return { tone, text: text.replace(/\n$/, ""), error };
}

/** Closes a session (its history is forgotten): POST /api/rag-llm/close. */
async function closeSession({ server = "", apiKey = "", sessionId }) {
  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers["Authorization"] = "Bearer " + apiKey;
  const response = await fetch(server + "/api/rag-llm/close", { method: "POST", headers, body: JSON.stringify({ session_id: sessionId }) });
  if (!response.ok) throw new Error("close: " + response.status);
  return response.json();
}

function newSessionId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return "kiosk-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

(function page() {
  if (typeof document === "undefined") return;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const preferred = params.get("lang") || localStorage.getItem("tonehost.lang") || ((navigator.language || "").startsWith("zh") ? "zh" : "en");
  let lang = preferred === "zh" ? "zh" : "en";
  let sessionId = newSessionId();
  $("server").value = params.get("server") || localStorage.getItem("tonehost.server") || "";
  $("api-key").value = localStorage.getItem("tonehost.apiKey") || "";

  function render() {
    document.documentElement.lang = lang === "zh" ? "zh-Hant-TW" : "en";
    for (const el of document.querySelectorAll("[data-text]")) el.textContent = TEXT[lang][el.dataset.text];
    $("session").textContent = sessionId;
  }
  function connection() {
    localStorage.setItem("tonehost.server", $("server").value.trim());
    localStorage.setItem("tonehost.apiKey", $("api-key").value);
    return { server: $("server").value.trim().replace(/\/$/, ""), apiKey: $("api-key").value };
  }
  function addTurn(question, answer, tone) {
    const turn = document.createElement("article");
    turn.className = "turn";
    const q = document.createElement("div");
    q.className = "q";
    q.textContent = question;
    if (tone) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = tone;
      q.appendChild(badge);
    }
    const a = document.createElement("div");
    a.className = "a";
    a.textContent = answer;
    turn.append(q, a);
    $("conversation").appendChild(turn);
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("tonehost.lang", lang);
    render();
  });
  $("new-visitor").addEventListener("click", async () => {
    const old = sessionId;
    sessionId = newSessionId();
    $("conversation").replaceChildren();
    $("current").hidden = true;
    $("description").value = "";
    render();
    try {
      await closeSession({ ...connection(), sessionId: old });
      $("status").textContent = TEXT[lang].closed;
    } catch (e) {
      $("status").textContent = e.message;
    }
  });
  $("ask").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question) return;
    $("send").disabled = true;
    $("status").textContent = TEXT[lang].thinking;
    $("current").hidden = false;
    $("answer").textContent = "";
    $("tone").textContent = "…";
    try {
      const result = await askTonehost({
        ...connection(), sessionId, question, userDescription: $("description").value.trim(),
        onTone: (tone) => { $("tone").textContent = tone || "—"; },
        onText: (chunk) => { $("answer").textContent += chunk; },
      });
      $("status").textContent = result.error ? TEXT[lang].failed + result.error : "";
      $("current").hidden = true;
      addTurn(question, result.text, result.tone);
      $("question").value = "";
    } catch (e) {
      $("status").textContent = TEXT[lang].failed + e.message;
    } finally {
      $("send").disabled = false;
    }
  });
  render();
})();

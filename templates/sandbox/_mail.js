{% raw %}
(function () {
  "use strict";

  // The email customer view. Shared helpers come from _ui.js; view switching from _line.js
  // (the "mail-view" entry of its VIEWS map), so this file only renders and polls while visible.
  const { el, call, toast, fieldError, showRoomPane } = window.SandboxUI;
  const $ = (id) => document.getElementById(id);

  const M = {
    threads: [],
    threadId: null,       // null: composing a new mail
    composingNew: false,  // "新規メール" pressed: do not jump to the newest thread
    lastJson: "",
    state: null,
    busy: false,
  };

  const store = {
    get: (k, d) => localStorage.getItem("sandbox.mail." + k) || d,
    set: (k, v) => localStorage.setItem("sandbox.mail." + k, v),
  };

  function visible() { return !$("mail-view").classList.contains("hidden"); }
  function customer() { return $("mail-customer").value.trim().toLowerCase(); }
  function counter() { return $("mail-counter").value.trim().toLowerCase(); }
  function isAddress(a) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a); }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "/" + pad(d.getMonth() + 1) + "/" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ------------------------------------------------------------------ state and settings

  async function refreshState() {
    let st;
    try { st = await call("GET", "mail/state"); } catch (e) { return; }
    M.state = st;
    const fill = (id, items) => {
      const list = $(id);
      list.innerHTML = "";
      for (const a of items) list.append(el("option", { value: a }));
    };
    fill("mail-customer-list", st.customers);
    fill("mail-counter-list", st.counterAddresses);
    const c = st.catcher;
    $("mail-catcher").textContent = c.running
      ? "cxbot の送信メール受け（SMTP キャッチャー）: " + c.host + ":" + c.port + " で稼働中（CXBOT_SMTP_URL=smtp://" + c.host + ":" + c.port + "）"
      : "SMTP キャッチャーは停止中です。cxbot の返信を受けるには POST /_sandbox/mail/catcher/start で起動してください。";
    const form = $("mail-settings-form");
    if (!form.contains(document.activeElement)) {
      form.target.value = st.settings.target;
      form.smtpHost.value = st.settings.smtpHost;
      form.smtpPort.value = st.settings.smtpPort;
      form.httpUrl.value = st.settings.httpUrl || "";
      toggleTargetFields();
    }
  }

  function toggleTargetFields() {
    const http = $("mail-settings-form").target.value === "http";
    document.querySelectorAll(".mail-smtp").forEach((n) => n.classList.toggle("hidden", http));
    document.querySelectorAll(".mail-http").forEach((n) => n.classList.toggle("hidden", !http));
  }

  $("mail-settings-form").target.addEventListener("change", toggleTargetFields);
  $("mail-settings-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const body = { target: f.target.value, smtpHost: f.smtpHost.value.trim(), httpUrl: f.httpUrl.value.trim() };
    const port = parseInt(f.smtpPort.value, 10);
    if (port) body.smtpPort = port;
    try {
      await call("POST", "mail/settings", body);
      toast("配信設定を保存しました");
    } catch (err) {
      toast(err.message, true);
    }
  });

  $("mail-confirm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const gmail = e.target.gmail.value.trim();
    const ok = [checkAddress($("mail-gmail"), "mail-gmail-error", "Gmail アドレス"),
                checkAddress($("mail-counter"), "mail-counter-error", "窓口アカウントのアドレス")];
    if (!ok.every(Boolean)) return;
    try {
      const r = await call("POST", "mail/forward-confirmation",
        { gmail, to: counter(), language: e.target.language.value });
      if (r.sent) toast("確認メールを送りました（確認コード " + r.code + "）");
      else toast("確認メールが届きませんでした" + deliveryStatus(r), true);
    } catch (err) {
      toast(err.message, true);
    }
  });

  // A mail server's answer in a few words: "（SMTP 550）", or that none came.
  function deliveryStatus(r) {
    if (r.error) console.warn("sandbox mail", r.error);
    return r.status ? "（" + (r.target === "http" ? "HTTP " : "SMTP ") + r.status + "）" : "（メールサーバーに接続できませんでした）";
  }

  // An empty or malformed address gets its message right under the field.
  function checkAddress(input, errorId, what) {
    const value = input.value.trim();
    if (!value) return fieldError(input, errorId, what + "を入力してください。");
    if (!isAddress(value)) return fieldError(input, errorId, what + "の形式が正しくありません（例: taro@example.co.jp）。");
    return fieldError(input, errorId, null);
  }

  // ------------------------------------------------------------------ mailbox

  async function refreshMailbox(force) {
    const me = customer();
    const ready = isAddress(me);
    $("mail-empty").classList.toggle("hidden", ready);
    $("mail-pane").classList.toggle("hidden", !ready);
    if (!ready) {
      M.threads = [];
      renderThreads();
      return;
    }
    let box;
    try { box = await call("GET", "mail/mailbox?address=" + encodeURIComponent(me)); } catch (e) { return; }
    if (me !== customer()) return;  // the address changed while loading
    const json = JSON.stringify(box.threads);
    if (!force && json === M.lastJson) return;
    M.lastJson = json;
    M.threads = box.threads;
    if (M.threadId && !M.threads.some((t) => t.threadId === M.threadId)) M.threadId = null;
    if (!M.threadId && !M.composingNew && M.threads.length) M.threadId = M.threads[0].threadId;
    renderThreads();
    renderThread();
  }

  function currentThread() {
    return M.threads.find((t) => t.threadId === M.threadId) || null;
  }

  function renderThreads() {
    const list = $("mail-thread-list");
    list.innerHTML = "";
    $("mail-no-threads").classList.toggle("hidden", M.threads.length > 0 || !isAddress(customer()));
    for (const t of M.threads) {
      const last = t.messages[t.messages.length - 1];
      list.append(el("li", { class: t.threadId === M.threadId ? "active" : "", onclick: () => openThread(t.threadId),
                             title: t.subject || "（件名なし）" },
        el("div", { class: "avatar mail", text: last.direction === "received" ? "受" : "送" }),
        el("div", { class: "meta" },
          el("div", { class: "name", text: t.subject || "（件名なし）" }),
          el("div", { class: "kind" }, when(t.lastAt), el("span", { class: "mail-count", text: t.count + " 通" })))));
    }
  }

  function openThread(threadId) {
    M.threadId = threadId;
    M.composingNew = false;
    showRoomPane("mail-view", true);
    $("mail-subject").dataset.auto = "1";
    renderThreads();
    renderThread();
  }

  function replySubject(subject) {
    let s = (subject || "").trim();
    for (;;) {
      const next = s.replace(/^\s*(re|ｒｅ)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*/i, "");
      if (next === s) break;
      s = next;
    }
    return "Re: " + s;
  }

  function renderThread() {
    const t = currentThread();
    const box = $("mail-messages");
    box.innerHTML = "";
    if (!t) {
      $("mail-title").textContent = "新規メール";
      $("mail-sub").textContent = customer() + " → " + (counter() || "（宛先未入力）");
      $("mail-mode").textContent = "新規メール";
      box.append(el("p", { class: "system-note", text: "件名と本文を書いて送信すると、窓口アカウントのアドレスにメールが届きます。" }));
      return;
    }
    $("mail-title").textContent = t.subject || "（件名なし）";
    $("mail-sub").textContent = customer() + " ・ " + t.count + " 通";
    $("mail-mode").textContent = "返信";
    for (const m of t.messages) box.append(mailCard(m));
    box.scrollTop = box.scrollHeight;
    const subject = $("mail-subject");
    if (!subject.value || subject.dataset.auto === "1") {
      subject.value = replySubject(t.messages[t.messages.length - 1].subject || t.subject);
      subject.dataset.auto = "1";
    }
  }

  function mailCard(m) {
    const sent = m.direction === "sent";
    const head = el("div", { class: "mail-head" },
      el("span", { class: "from" }, el("span", { class: "dir", text: sent ? "送信" : "受信" }),
        (m.fromName ? m.fromName + " <" + m.from + ">" : m.from)),
      el("div", {}, "宛先: " + (m.to || []).join(", ") + ((m.cc || []).length ? "  Cc: " + m.cc.join(", ") : "")),
      el("div", {}, "日時: " + when(sent ? m.sentAt : m.receivedAt)),
      el("div", {}, "件名: ", el("span", { class: "subj", text: m.subject || "（件名なし）" })));
    const atts = (m.attachments || []).map((a, i) => sent
      ? el("span", { class: "mail-att plain", text: "添付: " + a.fileName })
      : el("a", { class: "mail-att", href: "_sandbox/mail/outbox/" + m.seq + "/attachments/" + i, target: "_blank",
                  rel: "noopener", text: "添付: " + a.fileName }));
    let status = null;
    if (sent) {
      status = m.sent
        ? el("div", { class: "status", text: "✓ 配信済み（" + (m.target === "http" ? "HTTP " : "SMTP ") + m.status + "）" })
        : el("div", { class: "status warn", text: "✗ 配信できませんでした" + deliveryStatus(m) });
    }
    return el("article", { class: "mail-card " + (sent ? "sent" : "received") },
      head, el("div", { class: "mail-body", text: m.text || "" }),
      atts.length ? el("div", { class: "mail-atts" }, atts) : null, status);
  }

  // ------------------------------------------------------------------ composing

  function readFile(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve({ fileName: file.name, contentType: file.type || "application/octet-stream",
                                 dataBase64: String(r.result).split(",", 2)[1] || "" });
      r.onerror = () => reject(r.error);
      r.readAsDataURL(file);
    });
  }

  $("mail-files").addEventListener("change", (e) => {
    $("mail-file-names").textContent = Array.from(e.target.files).map((f) => f.name).join(", ");
  });
  $("mail-subject").addEventListener("input", (e) => { e.target.dataset.auto = "0"; });

  async function sendMail() {
    if (M.busy) return;
    const from = customer();
    const to = counter();
    const text = $("mail-text").value;
    const files = Array.from($("mail-files").files);
    const viaGmail = $("mail-via-gmail").checked;
    const sidebarOk = [
      checkAddress($("mail-customer"), "mail-customer-error", "お客様のメールアドレス"),
      checkAddress($("mail-counter"), "mail-counter-error", "窓口アカウントのアドレス"),
      viaGmail ? checkAddress($("mail-company"), "mail-company-error", "会社のアドレス") : true,
    ].every(Boolean);
    const bodyOk = fieldError($("mail-text"), "mail-text-error",
      text.trim() || files.length ? null : "本文を入力してください。");
    if (!sidebarOk) {
      // On a phone the address fields are in the list: show it, with the messages.
      showRoomPane("mail-view", false);
      document.querySelector("#mail-view [aria-invalid='true']").focus();
      return;
    }
    if (!bodyOk) { $("mail-text").focus(); return; }
    const body = {
      from, fromName: $("mail-customer-name").value.trim(), to, subject: $("mail-subject").value.trim(),
      text, charset: $("mail-charset").value,
    };
    if (viaGmail) {
      body.to = $("mail-company").value.trim();
      body.forwardTo = to;
    }
    const t = currentThread();
    if (t) {
      // Reply to the newest mail of the thread, as a mail program does.
      const last = t.messages[t.messages.length - 1];
      if (last.messageId) {
        body.inReplyTo = last.messageId;
        body.references = (last.references || []).concat([last.messageId]);
      }
      if (last.direction === "received" && last.replyTo && last.replyTo.length && !body.forwardTo) {
        body.to = last.replyTo[0];  // the answer's Reply-To (reply+<token>@...)
      }
    }
    M.busy = true;
    $("mail-send").disabled = true;
    try {
      body.attachments = await Promise.all(files.map(readFile));
      const r = await call("POST", "mail/send", body);
      if (!r.sent) toast("メールが届きませんでした" + deliveryStatus(r), true);
      else if (r.refused && Object.keys(r.refused).length) toast("一部の宛先に届きませんでした: " + Object.keys(r.refused).join(", "), true);
      $("mail-text").value = "";
      $("mail-files").value = "";
      $("mail-file-names").textContent = "";
      if (!t) M.pendingMessageId = r.messageId;
      store.set("customer", from);
      store.set("counter", to);
      await refreshMailbox(true);
      if (!t && M.pendingMessageId) {
        const nt = M.threads.find((x) => x.messages.some((m) => m.messageId === M.pendingMessageId));
        if (nt) openThread(nt.threadId);
        M.pendingMessageId = null;
      }
      refreshState();
    } catch (err) {
      toast(err.message, true);
    } finally {
      M.busy = false;
      $("mail-send").disabled = false;
    }
  }

  $("mail-composer").addEventListener("submit", (e) => { e.preventDefault(); sendMail(); });
  $("mail-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendMail(); }
  });
  $("mail-new").addEventListener("click", () => {
    if (!checkAddress($("mail-customer"), "mail-customer-error", "お客様のメールアドレス")) {
      $("mail-customer").focus();
      return;
    }
    showRoomPane("mail-view", true);
    M.threadId = null;
    M.composingNew = true;
    $("mail-subject").value = "";
    $("mail-subject").dataset.auto = "0";
    renderThreads();
    renderThread();
    $("mail-subject").focus();
  });

  $("mail-via-gmail").addEventListener("change", (e) => {
    $("mail-company").classList.toggle("hidden", !e.target.checked);
    store.set("viaGmail", e.target.checked ? "1" : "0");
  });
  $("mail-back").addEventListener("click", () => showRoomPane("mail-view", false));
  // A field's message goes away as soon as something is typed into it.
  for (const [id, errorId] of [["mail-customer", "mail-customer-error"], ["mail-counter", "mail-counter-error"],
                               ["mail-company", "mail-company-error"], ["mail-gmail", "mail-gmail-error"],
                               ["mail-text", "mail-text-error"]]) {
    $(id).addEventListener("input", () => fieldError($(id), errorId, null));
  }
  for (const id of ["mail-customer", "mail-counter", "mail-customer-name", "mail-company"]) {
    $(id).addEventListener("change", () => {
      store.set(id.replace("mail-", ""), $(id).value.trim());
      if (id === "mail-customer") { M.threadId = null; M.composingNew = false; M.lastJson = ""; }
      refreshMailbox(true);
    });
  }

  // ------------------------------------------------------------------ start

  // ?view=mail&customer=a@b&counter=support@c opens straight into a customer's mailbox.
  const params = new URLSearchParams(location.search);
  if (params.get("customer")) store.set("customer", params.get("customer"));
  if (params.get("counter")) store.set("counter", params.get("counter"));
  $("mail-customer").value = store.get("customer", "");
  $("mail-counter").value = store.get("counter", "");
  $("mail-customer-name").value = store.get("customer-name", "");
  $("mail-company").value = store.get("company", "");
  $("mail-via-gmail").checked = store.get("viaGmail", "0") === "1";
  $("mail-company").classList.toggle("hidden", !$("mail-via-gmail").checked);

  function refreshAll(force) {
    if (!visible()) return;
    refreshState();
    refreshMailbox(force);
  }
  const tab = document.querySelector('.tab[data-view="mail-view"]');
  if (tab) tab.addEventListener("click", () => setTimeout(() => refreshAll(true), 0));
  refreshAll(true);
  setInterval(() => refreshAll(false), 3000);
})();
{% endraw %}

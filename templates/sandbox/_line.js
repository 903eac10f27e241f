{% raw %}
(function () {
  "use strict";

  // Helpers shared by _ui.js: el() builds DOM safely, call() talks to /_sandbox/.
  const { el, call, toast, copyText, initial, timeText, dayText, ask, showRoomPane, deliveryProblem, poller } =
    window.SandboxUI;
  const $ = (id) => document.getElementById(id);

  // A few well-known sticker IDs (package 446: "Moon & James"); the picture comes from
  // LINE's sticker CDN when online, an emoji stands in otherwise.
  const STICKERS = [
    ["446", "1988", "👍"], ["446", "1989", "😊"], ["446", "1990", "🙇"], ["446", "1991", "😢"],
    ["446", "1992", "🎉"], ["446", "1993", "😮"], ["446", "2000", "🙏"], ["446", "2003", "👋"],
  ];

  // ------------------------------------------------------------------ view switching

  const VIEWS = { "works-view": "works", "line-view": "line", "console-view": "console", "mail-view": "mail" };

  function showView(id) {
    if (!VIEWS[id]) id = "works-view";
    for (const v of Object.keys(VIEWS)) $(v).classList.toggle("hidden", v !== id);
    document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.view === id));
    const tab = document.querySelector('.tab[data-view="' + id + '"]');
    $("brand-logo").textContent = tab ? tab.dataset.logo : "W";
    document.body.className = "view-" + VIEWS[id];
    localStorage.setItem("sandbox.view", id);
    if (id === "line-view") refreshLine();
    if (id === "console-view") refreshConsole(true);
  }

  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => showView(t.dataset.view)));

  // ------------------------------------------------------------------ LINE: state

  const L = {
    users: [],
    channels: [],
    friendships: [],
    userId: null,
    channelId: null,
    messages: [],
    after: 0,
    friendship: "none",
    opened: 0,  // counts openChat() calls
  };

  function channel(id) { return L.channels.find((c) => c.channelId === id) || null; }
  function lineUser(id) { return L.users.find((u) => u.userId === id) || null; }
  function friendshipOf(channelId, userId) {
    const f = L.friendships.find((x) => x.channelId === channelId && x.userId === userId);
    return f ? f.status : "none";
  }

  const STATUS_TEXT = { friend: "友だち", blocked: "ブロック中", none: "友だちではありません" };

  function reportWebhook(w) {
    const problem = deliveryProblem(w, "ボットサーバー（Webhook URL）");
    if (problem) toast(problem, true);
  }

  async function refreshLine() {
    let st;
    try { st = await call("GET", "line/state"); } catch (e) { return; }
    const usersChanged = JSON.stringify(st.users) !== JSON.stringify(L.users);
    L.users = st.users;
    L.channels = st.channels;
    L.friendships = st.friendships;
    if (usersChanged) renderLineUsers();
    renderOaList();
    if (L.channelId && !channel(L.channelId)) openChat(null);
    else if (L.channelId && L.friendship) renderChatHead();
  }

  function renderLineUsers() {
    const sel = $("line-user-select");
    sel.innerHTML = "";
    if (!L.users.length) {
      sel.append(el("option", { value: "", text: "LINE ユーザーがいません" }));
      sel.disabled = true;
      L.userId = null;
      $("line-welcome").textContent = "LINE ユーザーがいません。＋ で追加するか、POST /_sandbox/line/users で作成してください。";
      return;
    }
    sel.disabled = false;
    for (const u of L.users) sel.append(el("option", { value: u.userId, text: u.displayName }));
    if (!lineUser(L.userId)) {
      const saved = localStorage.getItem("sandbox.lineUserId");
      L.userId = lineUser(saved) ? saved : L.users[0].userId;
    }
    sel.value = L.userId;
    $("line-welcome").textContent = "左で公式アカウントを選ぶと、トークが始まります。";
  }

  function renderOaList() {
    const list = $("line-oa-list");
    list.innerHTML = "";
    $("line-no-oa").classList.toggle("hidden", L.channels.length > 0);
    for (const c of L.channels) {
      const status = L.userId ? friendshipOf(c.channelId, L.userId) : "none";
      list.append(el("li", {
        class: c.channelId === L.channelId ? "active" : "",
        onclick: () => openChat(c.channelId),
        title: c.displayName + " " + c.basicId,
      },
        el("div", { class: "avatar line-oa", text: initial(c.displayName) }),
        el("div", { class: "meta" },
          el("div", { class: "name", text: c.displayName }),
          el("div", { class: "kind status-" + status, text: c.basicId + " ・ " + STATUS_TEXT[status] }))));
    }
  }

  // ------------------------------------------------------------------ LINE: chat

  async function openChat(channelId) {
    chatPoller.stop();
    L.opened += 1;
    L.channelId = channelId && L.userId ? channelId : null;
    L.messages = [];
    L.after = 0;
    L.friendship = null;  // the first poll renders the header
    $("line-messages").innerHTML = "";
    $("line-sticker-panel").classList.add("hidden");
    $("line-location-panel").classList.add("hidden");
    renderOaList();
    const c = channel(L.channelId);
    $("line-no-chat").classList.toggle("hidden", !!c);
    $("line-chat").classList.toggle("hidden", !c);
    showRoomPane("line-view", !!c);
    if (!c) return;
    $("line-oa-title").textContent = c.displayName;
    $("line-oa-avatar").textContent = initial(c.displayName);
    await pollChat();
    chatPoller.start();
    if (!window.matchMedia("(max-width: 640px)").matches) $("line-text-input").focus();
  }

  function renderChatHead() {
    const c = channel(L.channelId);
    if (!c) return;
    const f = L.friendship;
    const on = c.useWebhook && c.webhookEndpoint;
    const cached = on && c.webhookEndpointInUse !== c.webhookEndpoint;  // set through the API a moment ago
    $("line-oa-sub").textContent = c.basicId + " ・ " + STATUS_TEXT[f] +
      (!on ? " ・ Webhook 未設定（メッセージはボットに届きません）"
        : cached ? " ・ Webhook URL 反映待ち（最大 1 分）" : "");
    $("line-follow").classList.toggle("hidden", f === "friend");
    $("line-follow").textContent = f === "blocked" ? "ブロック解除" : "友だち追加";
    $("line-block").classList.toggle("hidden", f !== "friend");
    const blocked = f === "blocked";
    $("line-blocked").classList.toggle("hidden", !blocked);
    if (blocked) {
      $("line-sticker-panel").classList.add("hidden");
      $("line-location-panel").classList.add("hidden");
    }
    for (const id of ["line-text-input", "line-send", "line-file-input", "line-sticker-toggle", "line-location-toggle"]) {
      $(id).disabled = blocked;
    }
  }

  const chatPoller = poller(() => pollChat());

  // One poll at a time; an answer for a chat that was closed (or opened again) meanwhile is dropped.
  let chatPolling = null, chatPollAgain = false;
  function pollChat() {
    if (chatPolling) { chatPollAgain = true; return chatPolling; }
    chatPolling = (async () => {
      do { chatPollAgain = false; await pollChatOnce(); } while (chatPollAgain);
    })().finally(() => { chatPolling = null; });
    return chatPolling;
  }

  async function pollChatOnce() {
    const channelId = L.channelId, userId = L.userId, opened = L.opened;
    if (!channelId || !userId) return;
    let chat;
    try {
      chat = await call("GET", "line/chats?channelId=" + encodeURIComponent(channelId) +
        "&userId=" + encodeURIComponent(userId) + "&after=" + L.after);
    } catch (e) {
      return;
    }
    if (L.opened !== opened) return; // switched meanwhile
    chat.messages = chat.messages.filter((m) => m.seq > L.after);
    if (chat.friendship !== L.friendship) {
      L.friendship = chat.friendship;
      renderChatHead();
    }
    if (!chat.messages.length) return;
    const box = $("line-messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    for (const m of chat.messages) {
      const prev = L.messages[L.messages.length - 1];
      L.messages.push(m);
      appendLineMessage(m, prev);
    }
    L.after = chat.messages[chat.messages.length - 1].seq;
    if (nearBottom || chat.messages.some((m) => m.from === "user")) box.scrollTop = box.scrollHeight;
  }

  function isoOf(ms) { return new Date(ms).toISOString(); }

  function appendLineMessage(m, prev) {
    const box = $("line-messages");
    const iso = isoOf(m.timestamp);
    if (!prev || dayText(isoOf(prev.timestamp)) !== dayText(iso)) {
      box.append(el("div", { class: "day-note", text: dayText(iso) }));
    }
    const mine = m.from === "user";
    const c = channel(L.channelId);
    const name = c ? c.displayName : "公式アカウント";
    box.append(el("div", { class: "msg" + (mine ? " mine" : "") },
      mine ? null : el("div", { class: "avatar line-oa", text: initial(name) }),
      el("div", { class: "body" },
        mine ? null : el("div", { class: "sender", text: name }),
        el("div", { class: "row" },
          renderLineContent(m),
          el("span", { class: "time", title: m.via ? (VIA_TEXT[m.via] || m.via) : null, text: timeText(iso) })))));
  }

  // How the account's message came: through the Messaging API, or from LINE Official Account Manager itself.
  const VIA_TEXT = { push: "プッシュメッセージ", reply: "応答（リプライ）", "auto-reply": "応答メッセージ（自動）",
                     greeting: "あいさつメッセージ（自動）" };

  function contentUrl(messageId) {
    return location.pathname.replace(/\/?$/, "/") + "_sandbox/line/content/" + encodeURIComponent(messageId);
  }

  function stickerNode(msg) {
    const known = STICKERS.find((s) => s[0] === String(msg.packageId) && s[1] === String(msg.stickerId));
    const fallback = el("span", { class: "sticker-fallback hidden", text: known ? known[2] : "🙂" });
    const img = el("img", {
      alt: "スタンプ",
      src: "https://stickershop.line-scdn.net/stickershop/v1/sticker/" + encodeURIComponent(msg.stickerId) + "/android/sticker.png",
    });
    img.addEventListener("error", () => { img.remove(); fallback.classList.remove("hidden"); });
    return el("div", { class: "sticker" }, img, fallback,
      el("span", { class: "sticker-id", text: "スタンプ " + msg.packageId + "/" + msg.stickerId }));
  }

  function renderLineContent(m) {
    const msg = m.message || {};
    const mine = m.from === "user";
    if (m.unsent) return el("div", { class: "bubble", text: "メッセージの送信を取り消しました" });
    if (m.problems && m.problems.length) {
      // What the LINE app shows when the files behind a message break LINE's rules.
      return el("div", { class: "bubble" }, el("span", { class: "badge", text: "表示できません" }),
        el("details", {}, el("summary", { text: "理由" }), el("pre", { text: m.problems.join("\n") })));
    }
    switch (msg.type) {
      case "text":
      case "textV2":
        return el("div", { class: "bubble", text: msg.text });
      case "image": {
        const full = mine ? contentUrl(msg.id) : msg.originalContentUrl;
        const preview = mine ? full : (msg.previewImageUrl || full);
        return el("a", { class: "media", href: full, target: "_blank", rel: "noopener" },
          el("img", { src: preview, alt: "画像" }));
      }
      case "video":
      case "audio":
      case "file": {
        const href = mine ? contentUrl(msg.id) : msg.originalContentUrl;
        const label = msg.type === "file" ? (msg.fileName + "（" + msg.fileSize + " バイト）")
          : (msg.type === "video" ? "🎬 動画" : "🎵 音声");
        return el("div", { class: "bubble" }, el("a", { class: "file-link", href, target: "_blank", rel: "noopener", text: label }));
      }
      case "sticker":
        return stickerNode(msg);
      case "location": {
        const map = "https://www.google.com/maps?q=" + msg.latitude + "," + msg.longitude;
        return el("div", { class: "bubble" }, "📍 ", el("strong", { text: msg.title || "位置情報" }), "\n",
          msg.address || "", "\n", el("a", { href: map, target: "_blank", rel: "noopener", text: "地図で見る" }));
      }
      case "template": {
        const t = msg.template || {};
        const actions = t.actions || (t.columns && t.columns[0] && t.columns[0].actions) || [];
        return el("div", { class: "card" },
          t.title ? el("div", { class: "card-title", text: t.title }) : null,
          el("div", { class: "card-text", text: t.text || msg.altText }),
          el("div", { class: "buttons" }, actions.map((a) => templateButton(a))));
      }
      case "flex":
      case "imagemap":
        return el("div", { class: "bubble flex-box" },
          el("span", { class: "badge", text: msg.type }), msg.altText,
          el("details", {}, el("summary", { text: "JSON を表示" }),
            el("pre", { text: JSON.stringify(msg.contents || msg, null, 2) })));
      default:
        return el("div", { class: "bubble" }, el("span", { class: "badge", text: msg.type || "?" }), JSON.stringify(msg));
    }
  }

  function templateButton(a) {
    const btn = el("button", { type: "button", class: "action-btn", text: a.label || "(ラベルなし)" });
    if (a.type === "uri") btn.addEventListener("click", () => window.open(a.uri, "_blank", "noopener"));
    else if (a.type === "message") btn.addEventListener("click", () => sendMessage({ type: "text", text: a.text || a.label }));
    else { btn.disabled = true; btn.title = "このボタンはこのサンドボックスでは押せません"; }
    return btn;
  }

  // ------------------------------------------------------------------ LINE: acting

  // Sends go one after another, in the order the customer made them: a file chosen while a
  // text is still on its way waits for it instead of being dropped.
  let sending = Promise.resolve();
  function sendMessage(message) {
    const chat = [L.channelId, L.userId];
    const run = sending.then(() => sendNow(message, chat));
    sending = run.catch(() => {});
    return run;
  }

  async function sendNow(message, [channelId, userId]) {
    if (!channelId || !userId) return false;
    try {
      const res = await call("POST", "line/act/message", { channelId, userId, message });
      reportWebhook(res.webhook);
      chatPoller.hurry();
      pollChat();
      return true;
    } catch (e) {
      toast(e.message, true);
      return false;
    }
  }

  async function sendText() {
    const input = $("line-text-input");
    if (!input.value.trim()) return;
    if (await sendMessage({ type: "text", text: input.value })) {
      input.value = "";
      autosize();
    }
  }

  function sendFile(file) {
    if (!file || !L.channelId) return;
    if (file.size > 50 * 1024 * 1024) { toast("50 MB を超えるファイルは送信できません", true); return; }
    const reader = new FileReader();
    reader.onload = () => {
      const dataBase64 = String(reader.result).split(",", 2)[1] || "";
      const type = file.type || "application/octet-stream";
      const kind = type.startsWith("image/") ? "image" : type.startsWith("video/") ? "video" : "file";
      const message = { type: kind, dataBase64, contentType: type };
      if (kind === "file") message.fileName = file.name;
      sendMessage(message);
    };
    reader.readAsDataURL(file);
  }

  async function setFriendship(act) {
    if (!L.channelId || !L.userId) return;
    try {
      const res = await call("POST", "line/act/" + act, { channelId: L.channelId, userId: L.userId });
      reportWebhook(res.webhook);
      toast(act === "follow" ? "友だち追加しました" : "ブロックしました");
    } catch (e) {
      toast(e.message, true);
    }
    chatPoller.hurry();
    await refreshLine();
    await pollChat();
  }

  function autosize() {
    const t = $("line-text-input");
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight, 140) + "px";
  }

  for (const [pkg, id, emoji] of STICKERS) {
    $("line-sticker-grid").append(el("button", {
      type: "button", title: "スタンプ " + pkg + "/" + id,
      onclick: () => { $("line-sticker-panel").classList.add("hidden"); sendMessage({ type: "sticker", packageId: pkg, stickerId: id }); },
    }, emoji, el("small", { text: id })));
  }

  $("line-user-select").addEventListener("change", (e) => {
    L.userId = e.target.value;
    localStorage.setItem("sandbox.lineUserId", L.userId);
    openChat(L.channelId);
  });
  $("line-add-user").addEventListener("click", async () => {
    const name = await ask({ title: "LINE ユーザーを追加", label: "表示名", value: "LINE 太郎", ok: "追加" });
    if (!name) return;
    try {
      const user = await call("POST", "line/users", { displayName: name });
      L.userId = user.userId;
      localStorage.setItem("sandbox.lineUserId", user.userId);
      L.users = [];  // force a re-render
      await refreshLine();
    } catch (e) {
      toast(e.message, true);
    }
  });
  $("line-follow").addEventListener("click", () => setFriendship("follow"));
  $("line-block").addEventListener("click", async () => {
    const sure = await ask({ title: "ブロックしますか？", text: "この公式アカウントをブロックします（unfollow イベントが送信されます）。",
                             ok: "ブロック", danger: true });
    if (sure) setFriendship("unfollow");
  });
  $("line-back").addEventListener("click", () => openChat(null));
  $("line-composer").addEventListener("submit", (e) => { e.preventDefault(); sendText(); });
  $("line-text-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendText();
    }
  });
  $("line-text-input").addEventListener("input", autosize);
  $("line-file-input").addEventListener("change", (e) => { sendFile(e.target.files[0]); e.target.value = ""; });
  $("line-sticker-toggle").addEventListener("click", () => {
    $("line-location-panel").classList.add("hidden");
    $("line-sticker-panel").classList.toggle("hidden");
  });
  $("line-location-toggle").addEventListener("click", () => {
    $("line-sticker-panel").classList.add("hidden");
    $("line-location-panel").classList.toggle("hidden");
  });
  $("line-location-panel").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const latitude = parseFloat(f.latitude.value), longitude = parseFloat(f.longitude.value);
    if (isNaN(latitude) || isNaN(longitude)) { toast("緯度と経度は数値で入力してください", true); return; }
    const message = { type: "location", latitude, longitude };
    if (f.title.value.trim()) message.title = f.title.value.trim();
    if (f.address.value.trim()) message.address = f.address.value.trim();
    if (await sendMessage(message)) $("line-location-panel").classList.add("hidden");
  });

  // ------------------------------------------------------------------ LINE Developers console

  const C = { channels: [], channelId: null };

  async function refreshConsole(rerender) {
    try { C.channels = await call("GET", "line/channels"); } catch (e) { return; }
    renderConsoleList();
    if (!C.channels.some((c) => c.channelId === C.channelId)) {
      C.channelId = C.channels.length ? C.channels[0].channelId : null;
      rerender = true;
    }
    if (rerender) renderConsolePanel();
  }

  function renderConsoleList() {
    const list = $("console-channel-list");
    list.innerHTML = "";
    $("console-no-channel").classList.toggle("hidden", C.channels.length > 0);
    for (const c of C.channels) {
      list.append(el("li", {
        class: c.channelId === C.channelId ? "active" : "",
        onclick: () => { C.channelId = c.channelId; renderConsoleList(); renderConsolePanel(); showRoomPane("console-view", true); },
      },
        el("div", { class: "avatar line-oa", text: initial(c.displayName) }),
        el("div", { class: "meta" },
          el("div", { class: "name", text: c.displayName }),
          el("div", { class: "kind", text: "Messaging API ・ " + c.channelId }))));
    }
  }

  function copyable(value) {
    const btn = el("button", { type: "button", class: "copy-btn", text: "コピー" });
    btn.addEventListener("click", async () => {
      const ok = await copyText(value);
      btn.textContent = ok ? "コピーしました" : "コピーできません";
      setTimeout(() => { btn.textContent = "コピー"; }, 1500);
    });
    return [el("code", { text: value }), btn];
  }

  function renderConsolePanel() {
    const c = C.channels.find((x) => x.channelId === C.channelId);
    $("console-empty").classList.toggle("hidden", !!c);
    $("console-panel").classList.toggle("hidden", !c);
    if (!c) return;
    $("console-title").textContent = c.displayName;
    document.querySelectorAll("#console-panel dd[data-field]").forEach((dd) => {
      dd.innerHTML = "";
      dd.append(...copyable(c[dd.dataset.field] || ""));
    });
    $("console-webhook-url").value = c.webhookEndpoint || "";
    $("console-use-webhook").checked = !!c.useWebhook;
    $("console-redelivery").checked = !!c.webhookRedelivery;
    $("console-webhook-error").classList.add("hidden");
    $("console-verify-result").classList.add("hidden");
    renderPending(c);
    $("oam-premium-id").value = c.premiumId || "";
    $("oam-premium-error").classList.add("hidden");
    $("oam-auto-reply").checked = !!c.autoReply;
    $("oam-greeting").checked = !!c.greeting;
  }

  // A URL set through the API is used only after LINE's cache (up to a minute).
  function renderPending(c) {
    const pending = $("console-webhook-pending");
    const waiting = c && c.webhookEndpoint && c.webhookEndpointInUse !== c.webhookEndpoint;
    pending.classList.toggle("hidden", !waiting);
    if (waiting) {
      pending.textContent = "API で設定された Webhook URL は、反映まで最大 1 分かかります。それまでのメッセージは" +
        (c.webhookEndpointInUse ? "以前の URL（" + c.webhookEndpointInUse + "）に送られます。" : "どこにも送られません。");
    }
  }

  function replaceChannel(updated) {
    C.channels = C.channels.map((x) => (x.channelId === updated.channelId ? updated : x));
    renderPending(updated);
  }

  async function saveOam(fields, errorBox) {
    if (errorBox) $(errorBox).classList.add("hidden");
    try {
      replaceChannel(await call("POST", "line/oam/settings", Object.assign({ channelId: C.channelId }, fields)));
      return true;
    } catch (e) {
      if (errorBox) {
        $(errorBox).textContent = e.message;
        $(errorBox).classList.remove("hidden");
      } else {
        toast(e.message, true);
      }
      return false;
    }
  }

  async function saveWebhook(fields) {
    $("console-webhook-error").classList.add("hidden");
    try {
      replaceChannel(await call("POST", "line/console/webhook", Object.assign({ channelId: C.channelId }, fields)));
      return true;
    } catch (e) {
      $("console-webhook-error").textContent = e.message;
      $("console-webhook-error").classList.remove("hidden");
      return false;
    }
  }

  // What the console's result dialog says, with the test API's reason and detail.
  const VERIFY_HINTS = {
    ERROR_STATUS_CODE: "ボットサーバーが 200 番台以外のステータスコードを返しました。",
    COULD_NOT_CONNECT: "ボットサーバーに接続できませんでした。",
    REQUEST_TIMEOUT: "ボットサーバーから 2 秒以内に応答がありませんでした。",
    UNCLASSIFIED: "不明なエラーが発生しました。",
  };

  function showVerifyResult(r) {
    const box = $("console-verify-result");
    box.innerHTML = "";
    box.classList.remove("hidden", "ok", "error");
    // As the Japanese console shows it: 成功, or エラー with what went wrong.
    if (r.success) {
      box.classList.add("ok");
      box.append(el("strong", { text: "成功" }), "Webhook URL にリクエストを送信し、ステータスコード " + r.statusCode + " が返されました。");
    } else {
      box.classList.add("error");
      box.dataset.reason = r.reason;
      box.append(el("strong", { text: "エラー" }), VERIFY_HINTS[r.reason] || VERIFY_HINTS.UNCLASSIFIED,
        r.statusCode > 0 ? "（HTTP " + r.statusCode + "）" : "");
    }
  }

  $("console-webhook-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await saveWebhook({ endpoint: $("console-webhook-url").value.trim() })) toast("Webhook URL を更新しました");
  });
  $("console-use-webhook").addEventListener("change", async (e) => {
    if (!(await saveWebhook({ useWebhook: e.target.checked }))) e.target.checked = !e.target.checked;
  });
  $("console-redelivery").addEventListener("change", async (e) => {
    if (!(await saveWebhook({ webhookRedelivery: e.target.checked }))) e.target.checked = !e.target.checked;
  });
  $("oam-premium-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = $("oam-premium-id").value.trim();
    if (await saveOam({ premiumId: value }, "oam-premium-error")) {
      toast(value ? "プレミアムIDを保存しました" : "プレミアムIDをなしにしました");
    }
  });
  $("oam-auto-reply").addEventListener("change", async (e) => {
    if (!(await saveOam({ autoReply: e.target.checked }))) e.target.checked = !e.target.checked;
  });
  $("oam-greeting").addEventListener("change", async (e) => {
    if (!(await saveOam({ greeting: e.target.checked }))) e.target.checked = !e.target.checked;
  });
  $("console-verify").addEventListener("click", async () => {
    const btn = $("console-verify");
    const c = C.channels.find((x) => x.channelId === C.channelId);
    const url = $("console-webhook-url").value.trim();
    if (c && url !== (c.webhookEndpoint || "") && !(await saveWebhook({ endpoint: url }))) return;
    btn.disabled = true;
    btn.textContent = "検証中…";
    try {
      showVerifyResult(await call("POST", "line/console/verify", { channelId: C.channelId }));
    } catch (e) {
      $("console-webhook-error").textContent = e.message;
      $("console-webhook-error").classList.remove("hidden");
    } finally {
      btn.disabled = false;
      btn.textContent = "検証";
    }
  });
  $("console-back").addEventListener("click", () => showRoomPane("console-view", false));
  $("console-reissue").addEventListener("click", async () => {
    const sure = await ask({ title: "チャネルアクセストークンを再発行しますか？", text: "現在のトークンはすぐに使えなくなります。",
                             ok: "再発行", danger: true });
    if (!sure) return;
    try {
      await call("POST", "line/channels/" + encodeURIComponent(C.channelId) + "/token");
      await refreshConsole(true);
      toast("チャネルアクセストークンを再発行しました");
    } catch (e) {
      toast(e.message, true);
    }
  });
  $("console-new-channel").addEventListener("click", async () => {
    const name = await ask({ title: "新規チャネル作成", label: "公式アカウントの名前", value: "サポート窓口", ok: "作成" });
    if (!name) return;
    try {
      const c = await call("POST", "line/channels", { displayName: name });
      C.channelId = c.channelId;
      await refreshConsole(true);
      showRoomPane("console-view", true);
    } catch (e) {
      toast(e.message, true);
    }
  });

  // ------------------------------------------------------------------ start

  const wantedView = new URLSearchParams(location.search).get("view");
  const startView = wantedView ? wantedView + "-view" : localStorage.getItem("sandbox.view");
  showView(startView in VIEWS ? startView : "works-view");
  setInterval(() => { if (!$("line-view").classList.contains("hidden")) refreshLine(); }, 3000);
  setInterval(() => { if (!$("console-view").classList.contains("hidden")) refreshConsole(false); }, 5000);
})();
{% endraw %}

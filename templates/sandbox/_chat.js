{% raw %}
(function () {
  "use strict";

  // Relative to where the page is served, so the sandbox can be mounted anywhere.
  const BASE = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const $ = (id) => document.getElementById(id);

  const state = {
    users: window.SANDBOX_USERS || [],
    userId: null,
    rooms: [],
    room: null,        // the room object from /_sandbox/rooms
    messages: [],
    lastId: "0",
    busy: false,
    opened: 0,  // counts openRoom() calls
  };

  // ------------------------------------------------------------------ helpers

  // The control API explains a refusal in English for developers (`error`), and names the
  // common ones with a `code`: the page says those in Japanese, and the rest by HTTP status.
  // The English detail goes to the browser console.
  const CONTROL_ERRORS = {
    bot_deleted: "この Bot は削除されました。このトークルームには送信できません。",
    bot_left: "Bot がこのトークルームから退室しました。送信できません。",
    bot_not_public: "この Bot はこのユーザーに公開されていません。",
    not_a_member: "このユーザーはこのトークルームのメンバーではありません。",
    message_type_off: "この Bot はこの種類のメッセージを受け付けていません。",
    quick_reply_gone: "このボタンはもう使えません（新しいメッセージが届いています）。",
    needs_phone: "この操作はスマートフォンのアプリでのみ使えます。",
    already_friend: "すでに友だちです。",
    not_friend: "友だちではありません。",
    blocked: "この公式アカウントをブロックしています。友だち追加するとブロックが解除されます。",
    no_webhook_url: "Webhook URL を入力して［更新］を押してください。",
    invalid_webhook_url: "Webhook URL が正しくありません。https:// で始まる URL を入力してください。",
    invalid_address: "メールアドレスが正しくありません。",
    attachment_too_large: "添付ファイルが大きすぎます（25 MB まで）。",
    invalid_setting: "配信設定の値が正しくありません。",
  };
  const STATUS_ERRORS = {
    400: "サンドボックスがこの操作を受け付けませんでした。入力内容を確認してください。",
    403: "この操作は許可されていません。",
    404: "対象が見つかりません。サンドボックスが再起動された可能性があります。ページを再読み込みしてください。",
    409: "今の状態ではこの操作はできません。",
  };

  function controlErrorText(status, data) {
    if (data && CONTROL_ERRORS[data.code]) return CONTROL_ERRORS[data.code];
    if (STATUS_ERRORS[status]) return STATUS_ERRORS[status];
    return "サンドボックスでエラーが発生しました（HTTP " + status + "）。";
  }

  async function call(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(BASE + "_sandbox/" + path, opts);
    } catch (e) {
      const err = new Error("サンドボックスに接続できませんでした。cxbot demo が動いているか確認してください。");
      err.status = 0;
      throw err;
    }
    let data = null;
    try { data = await resp.json(); } catch (e) { /* empty body */ }
    if (!resp.ok) {
      const err = new Error(controlErrorText(resp.status, data));
      err.status = resp.status;
      err.code = data && data.code;
      err.detail = (data && data.error) || resp.statusText;
      console.warn("sandbox", method, path, resp.status, err.detail);
      throw err;
    }
    return data;
  }

  // What happened to a callback (LINE WORKS) or a webhook (LINE), in Japanese; null if it arrived.
  function deliveryProblem(result, server) {
    if (!result || !result.error) return null;
    if (result.error) console.warn("sandbox delivery", result.error);
    if (!result.sent) return server + "には送信されませんでした（送信先の設定がないか、このイベントを受け取らない設定です）。";
    if (result.status) return server + "が HTTP " + result.status + " を返しました。";
    return server + "に接続できないか、時間内に応答がありませんでした。";
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "href" || k === "src") node.setAttribute(k, safeUrl(v));
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // Only http(s) and same-origin links reach href/src (never javascript: and friends).
  function safeUrl(url) {
    try {
      const u = new URL(String(url), location.href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : "about:blank";
    } catch (e) {
      return "about:blank";
    }
  }

  let toastTimer = null;
  function toast(text, warn) {
    const t = $("toast");
    t.textContent = text;
    t.classList.toggle("warn", !!warn);
    t.classList.remove("hidden");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.add("hidden"), warn ? 7000 : 3500);
  }

  function reportCallback(cb) {
    const problem = deliveryProblem(cb, "Bot サーバー");
    if (problem) toast(problem, true);
  }

  // In place of prompt() and confirm(): a small form in the page (a <dialog>).
  // ask({title, text, label, value, ok, danger}) resolves to the typed text (a label was
  // given) or true (none was), and to null when cancelled.
  function ask(opts) {
    const dlg = $("ask-dialog");
    const input = $("ask-input");
    $("ask-title").textContent = opts.title || "";
    $("ask-text").textContent = opts.text || "";
    $("ask-text").classList.toggle("hidden", !opts.text);
    $("ask-field").classList.toggle("hidden", !opts.label);
    $("ask-label").textContent = opts.label || "";
    input.value = opts.value || "";
    input.placeholder = opts.placeholder || "";
    input.removeAttribute("aria-invalid");
    $("ask-error").classList.add("hidden");
    $("ask-ok").textContent = opts.ok || "OK";
    $("ask-ok").classList.toggle("danger", !!opts.danger);
    return new Promise((resolve) => {
      const finish = (value) => {
        $("ask-form").removeEventListener("submit", onSubmit);
        $("ask-cancel").removeEventListener("click", onCancel);
        dlg.removeEventListener("cancel", onCancel);
        if (dlg.open) dlg.close();
        resolve(value);
      };
      const onSubmit = (e) => {
        e.preventDefault();
        if (!opts.label) { finish(true); return; }
        const value = input.value.trim();
        if (!value) {
          $("ask-error").textContent = (opts.label || "値") + "を入力してください。";
          $("ask-error").classList.remove("hidden");
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        finish(value);
      };
      const onCancel = (e) => { e.preventDefault(); finish(null); };
      $("ask-form").addEventListener("submit", onSubmit);
      $("ask-cancel").addEventListener("click", onCancel);
      dlg.addEventListener("cancel", onCancel);
      dlg.showModal();
      (opts.label ? input : $("ask-ok")).focus();
      if (opts.label) input.select();
    });
  }

  // A message under (or next to) a field; `text` null clears it. Returns false when shown.
  function fieldError(input, errorId, text) {
    const box = $(errorId);
    box.textContent = text || "";
    box.classList.toggle("hidden", !text);
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return !text;
  }

  // On a phone the list and the room take turns; `on` shows the room.
  function showRoomPane(viewId, on) {
    $(viewId).classList.toggle("in-room", !!on);
  }

  // First letter or digit of a name, for an avatar ("【LINE】山田様" -> "L").
  function initial(name) {
    const m = String(name || "").match(/[\p{L}\p{N}]/u);
    return m ? m[0].toUpperCase() : "?";
  }

  function fileUrl(fileId) {
    return BASE + "_sandbox/files/" + encodeURIComponent(fileId);
  }

  function userName(userId) {
    const u = state.users.find((x) => x.userId === userId);
    return u ? u.displayName : userId;
  }

  function timeText(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
  }

  function dayText(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleDateString("ja-JP", { year: "numeric", month: "long", day: "numeric", weekday: "short" });
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      const ta = el("textarea", { style: "position:fixed;opacity:0" });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e2) { ok = false; }
      ta.remove();
      return ok;
    }
  }

  // Same order as validate.pressables() on the server: an index means the same button.
  function pressables(c) {
    const out = [];
    const add = (where, action) => out.push({ where, action, index: out.length });
    if (c.type === "button_template") {
      (c.actions || []).forEach((a) => add("button_template", a));
    } else if (c.type === "list_template") {
      (c.elements || []).forEach((e) => { if (e && e.action) add("list_template", e.action); });
      (c.actions || []).forEach((row) => (row || []).forEach((a) => add("list_template", a)));
    } else if (c.type === "carousel") {
      (c.columns || []).forEach((col) => {
        if (col.defaultAction) add("carousel", col.defaultAction);
        (col.actions || []).forEach((a) => add("carousel", a));
      });
    } else if (c.type === "image_carousel") {
      (c.columns || []).forEach((col) => { if (col.action) add("image_carousel", col.action); });
    }
    ((c.quickReply || {}).items || []).forEach((it) => { if (it.action) add("quickReply", it.action); });
    return out;
  }

  // Run `fn` every second, and five times a second for a few seconds after the person did
  // something: an answer is usually on its way.
  function poller(fn) {
    let timer = null, fastUntil = 0, running = false;
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(tick, Date.now() < fastUntil ? 200 : 1000);
    };
    const tick = async () => {
      timer = null;
      try { await fn(); } finally { if (running && timer === null) schedule(); }
    };
    return {
      start() { running = true; schedule(); },
      stop() { running = false; clearTimeout(timer); timer = null; },
      hurry() { fastUntil = Date.now() + 5000; if (running) schedule(); },
    };
  }

  // ------------------------------------------------------------------ users & rooms

  function renderUsers() {
    const sel = $("user-select");
    sel.innerHTML = "";
    if (!state.users.length) {
      sel.append(el("option", { value: "", text: "ユーザーがいません" }));
      sel.disabled = true;
      $("welcome-text").textContent =
        "このサンドボックスにはまだユーザーがいません。cxbot demo を起動するか、POST /_sandbox/users でユーザーを追加してください。";
      return;
    }
    sel.disabled = false;
    for (const u of state.users) {
      const label = u.displayName + "（" + u.email + "）" + (u.isAdministrator ? " ・管理者" : "");
      sel.append(el("option", { value: u.userId, text: label }));
    }
    if (!state.users.some((u) => u.userId === state.userId)) {
      const saved = localStorage.getItem("sandbox.userId");
      state.userId = state.users.some((u) => u.userId === saved) ? saved : state.users[0].userId;
    }
    sel.value = state.userId;
    $("welcome-text").textContent = "左のリストからトークルームを選ぶと、Bot とのトークが始まります。";
  }

  async function refreshUsers() {
    try {
      const users = await call("GET", "users");
      const changed = JSON.stringify(users) !== JSON.stringify(state.users);
      state.users = users;
      if (changed) {
        renderUsers();
        await refreshRooms();
      }
    } catch (e) { /* sandbox restarting */ }
  }

  async function refreshRooms() {
    const userId = state.userId;
    if (!userId) { state.rooms = []; renderRooms(); return; }
    let rooms;
    try {
      rooms = await call("GET", "rooms?userId=" + encodeURIComponent(userId));
    } catch (e) {
      rooms = [];
    }
    if (state.userId !== userId) return;  // another user was picked meanwhile
    state.rooms = rooms;
    renderRooms();
  }

  function roomKindText(r) {
    if (r.kind === "bot") return r.readOnly ? "Bot ・ 削除されました" : "Bot";
    const n = r.members.length;
    return "グループ ・ " + n + "人" + (r.readOnly ? " ・ Bot 退室済み" : "");
  }

  function renderRooms() {
    const list = $("room-list");
    list.innerHTML = "";
    $("no-rooms").classList.toggle("hidden", state.rooms.length > 0 || !state.userId);
    for (const r of state.rooms) {
      const li = el("li", {
        class: state.room && state.room.roomId === r.roomId ? "active" : "",
        onclick: () => openRoom(r.roomId),
        title: r.title,
      },
        el("div", { class: "avatar" + (r.kind === "bot" ? " bot" : ""), text: initial(r.title) }),
        el("div", { class: "meta" },
          el("div", { class: "name", text: r.title || "(無題)" }),
          el("div", { class: "kind" + (r.readOnly ? " ro" : ""), text: roomKindText(r) })));
      list.append(li);
    }
  }

  // ------------------------------------------------------------------ room view

  async function openRoom(roomId) {
    roomPoller.stop();
    state.opened += 1;
    state.room = state.rooms.find((r) => r.roomId === roomId) || null;
    state.messages = [];
    state.lastId = "0";
    $("messages").innerHTML = "";
    showRoomPane("works-view", !!state.room);
    if (!state.room) {
      $("room-view").classList.add("hidden");
      $("no-room").classList.remove("hidden");
      renderRooms();
      return;
    }
    $("no-room").classList.add("hidden");
    $("room-view").classList.remove("hidden");
    renderRooms();
    renderRoomHead();
    await startRoom(state.room);
    await poll();
    roomPoller.start();
    if (!window.matchMedia("(max-width: 640px)").matches) $("text-input").focus();
  }

  // Opening a 1:1 room with a bot for the first time starts it (LINE WORKS sends `begin`):
  // the bot may greet before anyone writes.
  async function startRoom(r) {
    if (r.kind !== "bot" || r.readOnly) return;
    try {
      const res = await call("POST", "act/open", { userId: state.userId, channelId: r.channelId });
      reportCallback(res.callback);
      if (res.event) roomPoller.hurry();
    } catch (e) {
      toast(e.message, true);
    }
  }

  function renderRoomHead() {
    const r = state.room;
    $("room-title").textContent = r.title || "(無題)";
    const av = $("room-avatar");
    av.textContent = initial(r.title);
    av.className = "room-avatar" + (r.kind === "bot" ? " bot" : "");
    $("room-sub").textContent = r.kind === "bot"
      ? "Bot とのトーク"
      : "メンバー: " + r.members.map(userName).join("、") + (r.botName ? " ＋ " + r.botName + "（Bot）" : "");
    const ro = r.readOnly;
    $("readonly-banner").classList.toggle("hidden", !ro);
    $("readonly-banner").textContent = r.readOnlyReason === "bot left"
      ? "Bot がこのトークルームから退室しました"
      : "このBotは削除されました";
    $("composer").classList.toggle("hidden", false);
    $("text-input").disabled = ro;
    $("send-button").disabled = ro;
    $("file-input").disabled = ro;
    $("text-input").placeholder = ro ? "このBotは削除されました" : "メッセージを入力（Enterで送信、Shift+Enterで改行）";
    document.querySelector(".attach").classList.toggle("disabled", ro);
  }

  const roomPoller = poller(() => poll());

  // One poll at a time: a caller during one gets another right after it, and waits for both.
  let polling = null, pollAgain = false;
  function poll() {
    if (polling) { pollAgain = true; return polling; }
    polling = (async () => {
      do { pollAgain = false; await pollOnce(); } while (pollAgain);
    })().finally(() => { polling = null; });
    return polling;
  }

  async function pollOnce() {
    const r = state.room, opened = state.opened;
    if (!r) return;
    let fresh, meta;
    try {
      [fresh, meta] = await Promise.all([
        call("GET", "rooms/" + encodeURIComponent(r.roomId) + "/messages?after=" + state.lastId),
        call("GET", "rooms/" + encodeURIComponent(r.roomId)),
      ]);
    } catch (e) {
      return;
    }
    if (state.opened !== opened) return; // switched rooms meanwhile
    fresh = fresh.filter((m) => Number(m.messageId) > Number(state.lastId));
    if (meta.readOnly !== r.readOnly) {
      Object.assign(r, meta);
      renderRoomHead();
      renderRooms();
      rerenderAll();
    }
    if (fresh.length) {
      const box = $("messages");
      const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
      for (const m of fresh) {
        state.messages.push(m);
        appendMessage(m, state.messages[state.messages.length - 2]);
      }
      state.lastId = fresh[fresh.length - 1].messageId;
      renderQuickReplies();
      if (nearBottom || fresh.some((m) => m.sender.userId === state.userId)) box.scrollTop = box.scrollHeight;
    }
  }

  function rerenderAll() {
    $("messages").innerHTML = "";
    state.messages.forEach((m, i) => appendMessage(m, state.messages[i - 1]));
    renderQuickReplies();
  }

  function appendMessage(m, prev) {
    const box = $("messages");
    if (!prev || dayText(prev.createdTime) !== dayText(m.createdTime)) {
      box.append(el("div", { class: "day-note", text: dayText(m.createdTime) }));
    }
    const mine = m.sender.userId === state.userId;
    const fromBot = "botId" in m.sender;
    const name = fromBot ? (state.room.botName || "Bot") : userName(m.sender.userId);
    const showName = !mine && (fromBot || state.room.kind === "group");
    const node = el("div", { class: "msg" + (mine ? " mine" : "") },
      mine ? null : el("div", { class: "avatar" + (fromBot ? " bot" : ""), text: initial(name) }),
      el("div", { class: "body" },
        showName ? el("div", { class: "sender", text: name }) : null,
        el("div", { class: "row" },
          renderContent(m, fromBot),
          el("span", { class: "time", text: timeText(m.createdTime) }))));
    box.append(node);
  }

  // ------------------------------------------------------------------ content rendering

  const PHONE_ACTIONS = { camera: "カメラ", cameraRoll: "カメラロール", location: "位置情報" };

  function actionTitle(action) {
    if (action.type === "uri") return "開く: " + action.uri;
    if (action.type === "copy") return "コピー: " + action.copyText;
    if (PHONE_ACTIONS[action.type]) return PHONE_ACTIONS[action.type] + "（スマートフォンのアプリでのみ使えます）";
    return null;
  }

  function actionButton(m, action, index, cls) {
    const ro = state.room.readOnly;
    // A copy or link button is marked with an icon (CSS, data-kind), never a second word.
    const kind = ["uri", "copy"].includes(action.type) ? action.type : null;
    const btn = el("button", {
      type: "button",
      class: cls || "action-btn",
      disabled: ro || action.type in PHONE_ACTIONS,
      title: actionTitle(action),
      "data-kind": kind,
    }, action.label || "（ラベルなし）");
    btn.addEventListener("click", () => onAction(m, action, index, btn));
    return btn;
  }

  async function onAction(m, action, index, btn) {
    if (action.type === "uri") {
      window.open(action.uri, "_blank", "noopener");
      return;
    }
    if (action.type === "copy") {
      const ok = await copyText(action.copyText || "");
      const note = el("div", {
        class: "note" + (ok ? "" : " warn"),
        text: ok ? "コピーしました" : "コピーできませんでした。手動でコピーしてください: " + (action.copyText || ""),
        role: "status",
      });
      btn.after(note);
      setTimeout(() => note.remove(), ok ? 2000 : 15000);
      return;
    }
    if (state.busy) return;
    state.busy = true;
    try {
      const res = await call("POST", "act/press", { userId: state.userId, messageId: m.messageId, index });
      reportCallback(res.callback);
      roomPoller.hurry();
      await poll();
    } catch (e) {
      toast(e.message, true);
    } finally {
      state.busy = false;
    }
  }

  function imageSrc(obj, urlKey, fileKey) {
    if (obj[fileKey || "fileId"]) return fileUrl(obj[fileKey || "fileId"]);
    return obj[urlKey || "originalContentUrl"] || null;
  }

  const FILE_KINDS = { file: "ファイル", audio: "音声", video: "動画" };

  function renderContent(m, fromBot) {
    const c = m.content || {};
    const idx = new Map(pressables(c).map((p) => [p.action, p.index]));
    const button = (a, cls) => actionButton(m, a, idx.get(a), cls);
    switch (c.type) {
      case "text":
        return el("div", { class: "bubble", text: c.text });
      case "image": {
        const full = imageSrc(c);
        const preview = c.fileId ? full : (c.previewImageUrl || full);
        return el("a", { class: "media", href: full, target: "_blank", rel: "noopener" },
          el("img", { src: preview, alt: "画像" }));
      }
      case "file":
      case "audio":
      case "video":
        return el("div", { class: "bubble" },
          el("a", { class: "file-link", href: imageSrc(c), target: "_blank", rel: "noopener",
            text: c.fileId ? FILE_KINDS[c.type] + "（" + c.fileId.slice(0, 12) + "…）" : (c.fileName || c.originalContentUrl) }));
      case "sticker":
        return el("div", { class: "bubble", text: "🙂 スタンプ（" + c.packageId + " / " + c.stickerId + "）" });
      case "location": {
        const map = "https://www.google.com/maps?q=" + c.latitude + "," + c.longitude;
        return el("div", { class: "bubble" }, "📍 ", el("strong", { text: c.title || "位置情報" }), "\n",
          c.address || "", "\n", el("a", { href: map, target: "_blank", rel: "noopener", text: "地図で見る" }));
      }
      case "link":
        return el("div", { class: "card" },
          el("div", { class: "card-text", text: c.contentText }),
          el("div", { class: "buttons" },
            el("a", { class: "action-btn", href: c.link, target: "_blank", rel: "noopener", text: c.linkText })));
      case "button_template":
        return el("div", { class: "card" },
          el("div", { class: "card-text", text: c.contentText }),
          el("div", { class: "buttons" }, (c.actions || []).map((a) => button(a))));
      case "list_template": {
        const cover = c.coverData;
        const coverSrc = cover ? imageSrc(cover, "backgroundImageUrl", "backgroundFileId") : null;
        return el("div", { class: "card" },
          cover ? el("div", { class: "list-cover" },
            coverSrc ? el("img", { class: "cover", src: coverSrc, alt: "" }) : null,
            (cover.title || cover.subtitle) ? el("div", { class: "cover-text" },
              el("div", { class: "t", text: cover.title || "" }),
              el("div", { class: "s", text: cover.subtitle || "" })) : null) : null,
          (c.elements || []).map((e) => el("div", { class: "list-el" },
            el("div", { class: "txt" },
              el("div", { class: "t", text: e.title }),
              e.subtitle ? el("div", { class: "s", text: e.subtitle }) : null),
            imageSrc(e) ? el("img", { src: imageSrc(e), alt: "" }) : null,
            e.action ? button(e.action) : null)),
          (c.actions || []).length ? el("div", { class: "list-rows" },
            c.actions.map((row) => el("div", { class: "row-btns" }, (row || []).map((a) => button(a))))) : null);
      }
      case "carousel": {
        const ratio = c.imageAspectRatio === "square" ? " square" : "";
        const size = c.imageSize === "contain" ? " contain" : "";
        return el("div", { class: "carousel" }, (c.columns || []).map((col) => {
          const src = imageSrc(col);
          const img = src ? el("img", { class: "cover" + ratio + size, src, alt: "" }) : null;
          if (img && col.defaultAction) {
            img.style.cursor = "pointer";
            img.addEventListener("click", () => onAction(m, col.defaultAction, idx.get(col.defaultAction), img));
          }
          return el("div", { class: "card" }, img,
            col.title ? el("div", { class: "card-title", text: col.title }) : null,
            el("div", { class: "card-text", text: col.text }),
            el("div", { class: "buttons" }, (col.actions || []).map((a) => button(a))));
        }));
      }
      case "image_carousel":
        return el("div", { class: "carousel" }, (c.columns || []).map((col) => el("div", { class: "image-col" },
          el("img", { src: imageSrc(col), alt: "" }),
          col.action ? button(col.action) : null)));
      case "flex":
        return el("div", { class: "bubble flex-box" },
          el("span", { class: "badge", text: "Flex" }), c.altText,
          el("details", {}, el("summary", { text: "JSON を表示" }),
            el("pre", { text: JSON.stringify(c.contents, null, 2) })));
      default:
        return el("div", { class: "bubble" }, el("span", { class: "badge", text: c.type || "?" }),
          "このページでは表示できない種類のメッセージです");
    }
  }

  function renderQuickReplies() {
    const bar = $("quick-replies");
    bar.innerHTML = "";
    const last = state.messages[state.messages.length - 1];
    const items = last && "botId" in last.sender ? pressables(last.content).filter((p) => p.where === "quickReply") : [];
    bar.classList.toggle("hidden", !items.length || state.room.readOnly);
    const qrItems = (last && last.content.quickReply && last.content.quickReply.items) || [];
    for (const p of items) {
      const item = qrItems.find((it) => it.action === p.action) || {};
      const chip = actionButton(last, p.action, p.index, "chip");
      if (item.imageUrl) chip.prepend(el("img", { src: item.imageUrl, alt: "" }));
      bar.append(chip);
    }
  }

  // ------------------------------------------------------------------ sending

  async function sendText() {
    const input = $("text-input");
    const text = input.value;
    if (!text.trim() || !state.room || state.room.readOnly || state.busy) return;
    state.busy = true;
    try {
      const res = await call("POST", "act/message", {
        userId: state.userId, channelId: state.room.channelId, content: { type: "text", text },
      });
      input.value = "";
      autosize();
      reportCallback(res.callback);
      roomPoller.hurry();
      await poll();
    } catch (e) {
      toast(e.message, true);
    } finally {
      state.busy = false;
    }
  }

  function sendFile(file) {
    if (!file || !state.room || state.room.readOnly) return;
    if (file.size > 50 * 1024 * 1024) { toast("50 MB を超えるファイルは送信できません", true); return; }
    const reader = new FileReader();
    reader.onload = async () => {
      const dataBase64 = String(reader.result).split(",", 2)[1] || "";
      try {
        const res = await call("POST", "act/file", {
          userId: state.userId, channelId: state.room.channelId, fileName: file.name,
          contentType: file.type || "application/octet-stream", dataBase64,
          kind: (file.type || "").startsWith("image/") ? "image" : "file",
        });
        reportCallback(res.callback);
        roomPoller.hurry();
        await poll();
      } catch (e) {
        toast(e.message, true);
      }
    };
    reader.readAsDataURL(file);
  }

  function autosize() {
    const t = $("text-input");
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight, 140) + "px";
  }

  // ------------------------------------------------------------------ wiring

  $("user-select").addEventListener("change", async (e) => {
    state.userId = e.target.value;
    localStorage.setItem("sandbox.userId", state.userId);
    state.room = null;
    state.rooms = [];  // never show one user's rooms to another, even for a moment
    renderRooms();
    await refreshRooms();
    await openRoom(null);
  });
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); sendText(); });
  $("text-input").addEventListener("keydown", (e) => {
    // Enter sends; Shift+Enter breaks the line; never while an IME is composing (Japanese input).
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendText();
    }
  });
  $("text-input").addEventListener("input", autosize);
  $("room-back").addEventListener("click", () => openRoom(null));
  $("file-input").addEventListener("change", (e) => {
    sendFile(e.target.files[0]);
    e.target.value = "";
  });

  // Deep link: ?user=<userId or email>&room=<roomId>
  const params = new URLSearchParams(location.search);
  const wanted = params.get("user");
  if (wanted) {
    const u = state.users.find((x) => x.userId === wanted || x.email === wanted);
    if (u) state.userId = u.userId;
  }
  // Shared with the LINE views (_line.js).
  window.SandboxUI = {
    el, call, toast, copyText, initial, timeText, dayText, safeUrl, ask, fieldError, showRoomPane, deliveryProblem,
    poller,
  };

  renderUsers();
  refreshRooms().then(() => { if (params.get("room")) openRoom(params.get("room")); });
  setInterval(refreshRooms, 2000);
  setInterval(refreshUsers, 5000);
})();
{% endraw %}

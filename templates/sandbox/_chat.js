{% raw %}
(function () {
  "use strict";

  // The LINE WORKS view. Shared helpers come from _ui.js.
  const { BASE, el, call, toast, copyText, initial, timeText, dayText, showRoomPane, deliveryProblem, poller } =
    window.SandboxUI;
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

  function reportCallback(cb) {
    const problem = deliveryProblem(cb, "Bot サーバー");
    if (problem) toast(problem, true);
  }

  function fileUrl(fileId) {
    return BASE + "_sandbox/files/" + encodeURIComponent(fileId);
  }

  function userName(userId) {
    const u = state.users.find((x) => x.userId === userId);
    return u ? u.displayName : userId;
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

  renderUsers();
  refreshRooms().then(() => { if (params.get("room")) openRoom(params.get("room")); });
  setInterval(refreshRooms, 2000);
  setInterval(refreshUsers, 5000);
})();
{% endraw %}

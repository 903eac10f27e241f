{% raw %}
(function () {
  "use strict";

  // What every view of the page shares (window.SandboxUI): talking to the control API and
  // saying its refusals in Japanese, building DOM safely, toasts, the in-page form that
  // stands in for prompt() / confirm(), messages next to fields, the phone layout, polling.

  // Relative to where the page is served, so the sandbox can be mounted anywhere.
  const BASE = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const $ = (id) => document.getElementById(id);

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
    invalid_premium_id: "プレミアムIDが正しくありません。@ に続けて半角の小文字・数字・記号（. _ -）で入力してください。",
    premium_id_taken: "このIDはほかのアカウントが使っています。",
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

  window.SandboxUI = {
    BASE, el, call, toast, copyText, initial, timeText, dayText, safeUrl, ask, fieldError, showRoomPane,
    deliveryProblem, poller,
  };
})();
{% endraw %}

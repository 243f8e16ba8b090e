// Field-ready forms, for phones with a signal that comes and goes.
//
// Forms marked data-field keep a draft on the phone as they are filled in
// (IndexedDB), restored after a reload or a crash and deleted once the server
// has accepted the form, or after 7 days. Submitting them goes through fetch:
// when the network is down or the answer does not come, the submission waits
// in an outbox on the phone and is sent again on the next page load, when the
// network returns, or from the "send now" button. Every form carries the one-time
// key the server minted, so a resent submission takes effect once. Without
// JavaScript, or without IndexedDB, the forms post as plain forms.
//
// A phone may be shared: drafts and outbox items carry their organizer's owner tag
// (from the page), and another organizer's page neither shows nor sends them. Drafts
// keep no ID numbers; outbox bodies must, so they are sealed with the organizer's key
// (AES-GCM, imported non-extractable), which only their own signed-in pages hold.
// Signing out deletes the drafts, after a warning when something is still unsent.
(function () {
  "use strict";
  // The live ID check speaks once the number is whole (18 characters) or the field is left
  // (its hx-trigger "change"), not at every key while it is still being typed.
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.dataset && el.dataset.idCheck && el.value.replace(/\s/g, "").length >= 18) {
      el.dispatchEvent(new Event("id-typed"));
    }
  });
  var DAY = 86400000;
  var DRAFT_DAYS = 7;
  var bar = document.getElementById("outbox");
  var owner = document.body.dataset.owner;
  if (!bar || !owner || !window.indexedDB || !window.fetch) return;
  var text = bar.dataset;
  var dbPromise = null;
  // Without WebCrypto (a page not served over HTTPS) nothing is queued: forms post plainly.
  var keyPromise = window.crypto && crypto.subtle
    ? crypto.subtle.importKey("raw", new Uint8Array(document.body.dataset.fieldKey.match(/../g).map(function (h) {
      return parseInt(h, 16);
    })), "AES-GCM", false, ["encrypt", "decrypt"]).catch(function () { return null; })
    : Promise.resolve(null);
  var PRIVATE = /resident_id|password/; // fields no draft keeps

  function seal(plain) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return keyPromise.then(function (key) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, new TextEncoder().encode(plain));
    }).then(function (data) { return { iv: iv, data: data }; });
  }
  function unseal(sealed) {
    return keyPromise.then(function (key) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
    }).then(function (plain) { return new TextDecoder().decode(plain); });
  }

  function say(template, n) {
    return template.replace("{n}", n);
  }

  // --- IndexedDB, as promises ----------------------------------------------------------
  function openDb() {
    dbPromise = dbPromise || new Promise(function (resolve, reject) {
      var request = indexedDB.open("coop-field", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("drafts", { keyPath: "key" });
        request.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
      request.onblocked = function () { reject(new Error("blocked")); };
    });
    return dbPromise;
  }

  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  // Only this organizer's records: another's stay on the phone for their next sign-in.
  function everyone(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }
  function getAll(name) {
    return everyone(name).then(function (rows) {
      return rows.filter(function (row) { return row.owner === owner; });
    });
  }
  function put(name, value) { return store(name, "readwrite", function (s) { return s.put(value); }); }
  function remove(name, key) { return store(name, "readwrite", function (s) { return s.delete(key); }); }

  function broken() {
    var note = document.createElement("p");
    note.className = "alert";
    note.textContent = text.broken;
    bar.hidden = false;
    bar.replaceChildren(note);
  }

  // --- drafts --------------------------------------------------------------------------
  function draftKey(form) {
    return owner + "|" + location.pathname + "|" + (form.getAttribute("action") || "");
  }

  // What was typed: not the hidden fields, which the server sets (token, form key, versions)
  // and which a newer page must keep.
  function fields(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "file" || el.disabled || PRIVATE.test(el.name)) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push([el.name, o.value]); });
      } else if (el.type !== "submit" && el.type !== "button") values.push([el.name, el.value]);
    });
    return values;
  }

  function restore(form, values) {
    var byName = {};
    values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in byName) || el.type === "hidden") return;
      var given = byName[el.name];
      if (el.type === "checkbox" || el.type === "radio") el.checked = given.indexOf(el.value) >= 0;
      else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = given.indexOf(o.value) >= 0; });
      } else if (el.type !== "file") el.value = given[0];
    });
  }

  function showRestored(form, draft) {
    var note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    var time = new Date(draft.saved).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    note.textContent = say(text.restored, time) + " ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "secondary";
    discard.textContent = text.discard;
    discard.addEventListener("click", function () {
      remove("drafts", draft.key).then(function () { location.reload(); });
    });
    note.appendChild(discard);
    form.prepend(note);
  }

  function keepDrafts(form) {
    var key = draftKey(form);
    var timer = null;
    var save = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        put("drafts", { key: key, owner: owner, saved: Date.now(), values: fields(form) }).catch(broken);
      }, 300);
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () { clearTimeout(timer); }, true);
    // A form the server sent back with errors already shows what was typed.
    var returned = form.querySelector("[aria-invalid=true], .error, .alert");
    return store("drafts", "readonly", function (s) { return s.get(key); }).then(function (draft) {
      if (!draft || draft.owner !== owner) return;
      if (Date.now() - draft.saved > DRAFT_DAYS * DAY) return remove("drafts", key);
      if (returned) return;
      restore(form, draft.values);
      showRestored(form, draft);
    });
  }

  // --- sending -------------------------------------------------------------------------
  function csrfToken() {
    var match = /"x-csrftoken":\s*"([^"]+)"/.exec(document.body.getAttribute("hx-headers:inherited") || "");
    return match ? match[1] : "";
  }

  // Resolves to {outcome: "done"|"signin"|"refused", location, reason, response}; rejects when
  // the network failed or no answer came in time.
  function send(item) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, Number(text.timeout) || 15000);
    return fetch(item.url, {
      method: "POST",
      body: item.body,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Coop-Outbox": "1",
        "x-csrftoken": csrfToken() || item.csrf || "",
      },
      signal: controller.signal,
    }).then(function (response) {
      clearTimeout(timer);
      var where = response.headers.get("Coop-Location");
      if (where && where.indexOf("/login") === 0) return { outcome: "signin", location: where };
      if (response.ok) return { outcome: "done", location: where };
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var reasons = Array.prototype.map.call(
          page.querySelectorAll("main .error, main .alert, main [role=alert]:not(#error-summary)"),
          function (el) { return el.textContent.trim(); }
        ).filter(Boolean);
        return {
          outcome: "refused",
          reason: reasons.join(" ") || response.status + " " + response.statusText,
          page: !where && page.querySelector("main form") ? page : null, // the form with its errors
        };
      });
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  function enqueue(item) {
    return getAll("outbox").then(function (items) {
      return Promise.all(items.map(function (old) {
        return old.state === "waiting" && old.url === item.url ? unseal(old.sealed) : "";
      }));
    }).then(function (bodies) {
      if (bodies.indexOf(item.body) >= 0) return showOutbox(); // tapped twice while offline: one submission
      return seal(item.body).then(function (sealed) {
        item.sealed = sealed;
        delete item.body;
        item.owner = owner;
        item.state = "waiting";
        item.queued = Date.now();
        return put("outbox", item).then(showOutbox);
      });
    });
  }

  // The server's page with the form's errors in place of this one's <main>; the error
  // summary takes the focus, as on a page loaded whole.
  function showAnswer(page, key) {
    var main = page.querySelector("main");
    document.querySelector("main").replaceWith(main);
    document.title = page.title;
    if (window.htmx) htmx.process(main);
    Array.prototype.forEach.call(main.querySelectorAll("form[data-field]"), function (form) {
      interceptSubmit(form, key);
      keepDrafts(form).catch(broken);
    });
    var summary = main.querySelector("#error-summary");
    window.scrollTo(0, 0);
    if (summary) summary.focus();
  }

  function interceptSubmit(form, key) {
    if (!key) return;
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || form.dataset.sending) return;
      event.preventDefault();
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
      var body = new URLSearchParams(data).toString();
      var name = form.elements.name ? form.elements.name.value : "";
      var item = {
        url: form.action,
        body: body,
        csrf: data.get("_csrf_token"),
        label: (form.dataset.field || document.title) + (name ? " · " + name : ""),
        formPath: location.pathname + location.search,
        draft: draftKey(form),
      };
      form.dataset.sending = "1";
      send(item).then(function (answer) {
        // Answered, whatever the answer: the draft goes (the page shown keeps what was typed).
        return remove("drafts", item.draft).catch(function () {}).then(function () {
          if (answer.outcome === "done") return location.assign(answer.location || location.href);
          if (answer.outcome === "signin") return location.assign(answer.location);
          if (answer.page) return showAnswer(answer.page, key);
          // Refused without a page: post it the plain way so the page shows why.
          HTMLFormElement.prototype.submit.call(form);
        });
      }, function () {
        delete form.dataset.sending;
        return enqueue(item).then(function () {
          var note = document.createElement("p");
          note.className = "draft-note";
          note.setAttribute("role", "status");
          note.textContent = text.queued;
          form.prepend(note);
        });
      });
    });
  }

  // A one-tap htmx action marked data-outbox (check-in, welcome pack) that got no answer;
  // the server makes a second tap change nothing, so sending it again is safe.
  document.addEventListener("htmx:error", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement && ctx.sourceElement.closest("[data-outbox]");
    if (!source || ctx.request.method !== "POST" || !window.crypto || !crypto.subtle) return;
    enqueue({
      url: new URL(ctx.request.action, location.href).href,
      body: ctx.request.body ? new URLSearchParams(ctx.request.body).toString() : "",
      csrf: csrfToken(),
      label: source.dataset.outbox,
      formPath: location.pathname + location.search,
      draft: "",
    }).catch(broken);
  });

  // --- the outbox ----------------------------------------------------------------------
  var flushing = false;

  // The organizer whose page loaded last: a page left open from before someone else signed in
  // (another tab, the back button) must not send with their session cookie.
  function current(tag) {
    try {
      if (tag !== undefined) localStorage.setItem("coop-owner", tag);
      return localStorage.getItem("coop-owner");
    } catch (e) { return owner; }
  }
  current(owner);

  function flush() {
    if (flushing || !navigator.onLine || current() !== owner) return Promise.resolve();
    flushing = true;
    return getAll("outbox").then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      return waiting.reduce(function (previous, item) {
        return previous.then(function () {
          return unseal(item.sealed).then(function (body) {
            return send({ url: item.url, body: body, csrf: item.csrf });
          }).then(function (answer) {
            if (answer.outcome === "signin") {
              item.reason = text.signin;
              return put("outbox", item);
            }
            item.state = answer.outcome === "done" ? "sent" : "refused";
            item.reason = answer.reason || "";
            item.location = answer.location || "";
            if (item.state === "sent") delete item.sealed; // nothing personal kept once sent
            var done = item.state === "sent" && item.draft ? remove("drafts", item.draft) : Promise.resolve();
            return done.then(function () { return put("outbox", item); });
          }, function () { /* still offline: stays waiting */ });
        });
      }, Promise.resolve());
    }).then(function () {
      flushing = false;
      return showOutbox();
    }, function (error) {
      flushing = false;
      throw error;
    });
  }

  function button(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function showOutbox() {
    return getAll("outbox").then(function (items) {
      items = items.filter(function (item) {
        return item.state !== "sent" || Date.now() - item.queued < DAY;
      });
      var waiting = items.filter(function (item) { return item.state === "waiting"; }).length;
      bar.hidden = items.length === 0;
      var parts = [];
      var head = document.createElement("p");
      head.className = waiting ? "outbox-head alert" : "outbox-head";
      if (waiting) head.setAttribute("role", "alert");
      head.textContent = waiting ? say(text.count, waiting) : text.title;
      if (waiting) head.append(" ", button(text.send, function () { flush().catch(broken); }));
      parts.push(head);
      var list = document.createElement("ul");
      list.className = "plain";
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "outbox-" + item.state;
        var state = document.createElement("strong");
        state.textContent = text[item.state] + " ";
        row.append(state, item.label);
        if (item.reason) {
          var why = document.createElement("div");
          why.className = item.state === "refused" ? "error" : "muted";
          why.textContent = item.reason;
          row.append(why);
        }
        if (item.state === "refused") {
          row.append(button(text.fix, function () {
            unseal(item.sealed).then(function (body) {
              var values = [];
              new URLSearchParams(body).forEach(function (v, k) { if (!PRIVATE.test(k)) values.push([k, v]); });
              var draft = { key: item.draft, owner: owner, saved: Date.now(), values: values };
              return item.draft ? put("drafts", draft) : null;
            })
              .then(function () { return remove("outbox", item.id); })
              .then(function () { location.assign(item.formPath); });
          }));
        }
        if (item.state === "sent" && item.location) {
          var open = document.createElement("a");
          open.href = item.location;
          open.textContent = " " + text.open;
          row.append(open);
        }
        if (item.state !== "waiting") {
          row.append(" ", button(item.state === "sent" ? text.dismiss : text.discard, function () {
            remove("outbox", item.id).then(showOutbox);
          }));
        }
        list.append(row);
      });
      parts.push(list);
      bar.replaceChildren.apply(bar, parts);
    });
  }

  // A download (the roster export) takes a while to start on a big roster: say it is coming,
  // until the file's answer sets the cookie named after this submit (coop.web.DOWNLOAD_COOKIE).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.busy) return;
    var note = form.querySelector(".busy-note") || document.createElement("p");
    note.className = "busy-note hint";
    note.setAttribute("role", "status");
    note.textContent = form.dataset.busy;
    form.append(note);
    var mark = (form.elements.download || form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: "download" })));
    mark.value = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    var wait = setInterval(function () {
      if (document.cookie.split("; ").indexOf("coop_download=" + mark.value) < 0) return;
      clearInterval(wait);
      note.remove();
    }, 500);
  });

  // --- signing out ---------------------------------------------------------------------
  // Drafts go; queued items stay, sealed, for their organizer's next sign-in: say so first.
  // The server must end the session before the phone forgets whose it was: without a
  // network the organizer would stay signed in for the next person, so say that instead.
  var signOut = document.querySelector("form[action='/logout']");
  function warn(message, actions) {
    var old = document.querySelector(".signout-warning");
    if (old) old.remove();
    var note = document.createElement("div");
    note.className = "alert signout-warning";
    note.setAttribute("role", "alert");
    note.textContent = message + " ";
    note.append(button(text.back, function () { note.remove(); }));
    (actions || []).forEach(function (action) { note.append(" ", action); });
    document.querySelector("main").prepend(note);
    note.scrollIntoView();
  }
  if (signOut) signOut.addEventListener("submit", function (event) {
    event.preventDefault();
    var leave = function () {
      return fetch(signOut.action, { method: "POST", body: new FormData(signOut), credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) throw new Error("sign-out refused");
          current("");
          return getAll("drafts").then(function (drafts) {
            return Promise.all(drafts.map(function (d) { return remove("drafts", d.key); }));
          }).catch(function () {}).then(function () { location.assign(answer.url); });
        }).catch(function () { warn(text.offline); });
    };
    if (!navigator.onLine) return warn(text.offline);
    getAll("outbox").then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; }).length;
      if (!waiting) return leave();
      warn(say(text.unsent, waiting), [button(text.leave, leave)]);
    }, leave);
  });

  // --- start ---------------------------------------------------------------------------
  Promise.all([openDb(), keyPromise]).then(function (ready) {
    var forms = document.querySelectorAll("form[data-field]");
    return Promise.all(Array.prototype.map.call(forms, function (form) {
      interceptSubmit(form, ready[1]);
      return keepDrafts(form);
    }));
  }).then(function () {
    // What was typed stays on the phone 7 days at most, queued or not, whoever typed it.
    // Drafts from before owners were kept may hold ID numbers and belong to nobody: gone.
    return Promise.all([everyone("drafts"), everyone("outbox")]).then(function (found) {
      found[0].forEach(function (d) {
        if (!d.owner || Date.now() - d.saved > DRAFT_DAYS * DAY) remove("drafts", d.key);
      });
      found[1].forEach(function (item) {
        if (Date.now() - item.queued > DRAFT_DAYS * DAY) remove("outbox", item.id);
      });
    });
  }).then(showOutbox).then(flush).catch(broken);
  // WeChat may wipe the phone's storage once the user leaves it: send at every chance.
  var sendSoon = function () { if (document.visibilityState !== "hidden") flush().catch(broken); };
  window.addEventListener("online", sendSoon);
  window.addEventListener("pageshow", sendSoon);
  document.addEventListener("visibilitychange", sendSoon);
})();

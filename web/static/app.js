// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Upload with a progress bar; the server's answer (a redirect to the job page) is followed.
  function enhanceUpload(form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = form.querySelector("progress");
      var label = form.querySelector(".upload-percent");
      var button = form.querySelector("button[type=submit]");
      box.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        label.textContent = percent + " %";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status < 400 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          // Show the page's own error message (e.g. a refused file type) in place.
          var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var main = page.querySelector("main");
          if (main) document.querySelector("main").replaceWith(main);
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        label.textContent = form.getAttribute("data-failed");
      });
      xhr.send(new FormData(form));
    });
  }

  // Ask before deleting (forms still work without it). Delegated: a list swapped in by htmx
  // (the document list's filters) asks too.
  function confirmDeletes() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-confirm]");
      if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  }

  // ---- Document list: a filter keeps the sort column and its direction (a hidden field the
  // column headers set); choosing another sort order starts from that column's first direction.
  // Capturing: this runs before htmx's own listener on the form reads the fields.
  document.addEventListener(
    "change",
    function (event) {
      var form = event.target.closest && event.target.closest("form.list-filters");
      if (form && event.target.name === "sort" && form.elements.order) form.elements.order.value = "";
    },
    true
  );
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form.list-filters") || !event.detail.formData) return;
    if (!event.detail.formData.get("order")) event.detail.formData.delete("order");
  });

  // ---- Search page (Sök) -------------------------------------------------------------------
  // The search form's parts are swapped by htmx and the whole body by a history restore, so
  // every listener here is on the document and finds the form afresh.
  var FORM = "#search-form";
  var typedEntry = false; // the current history entry was made by typing in the box
  var beforeSwap = null; // what to carry over a swap of #results: focus, open folders

  function searchForm(el) {
    return el && el.closest ? el.closest(FORM) : null;
  }

  // The same query string, whatever the order of its parameters.
  function sameAddress(path) {
    var a = new URL(path, location.href);
    var b = new URL(location.href);
    var pa = new URLSearchParams(a.search);
    var pb = new URLSearchParams(b.search);
    pa.sort();
    pb.sort();
    return a.pathname === b.pathname && pa.toString() === pb.toString();
  }

  // Every control searches: htmx runs the box as you type; a facet, the mode or a year submits.
  document.addEventListener("change", function (event) {
    var form = searchForm(event.target);
    if (!form || event.target.name === "q") return;
    if (form.requestSubmit) form.requestSubmit();
    else if (window.htmx) window.htmx.trigger(form, "submit");
  });

  // Shorter addresses to share: no empty years, no mode when it is the default one.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!searchForm(event.detail.elt) || !event.detail.formData) return;
    var data = event.detail.formData;
    ["from", "to"].forEach(function (name) {
      if (!data.getAll(name).some(Boolean)) data.delete(name);
    });
    if (data.get("mode") === "hybrid") data.delete("mode");
  });

  // One history entry per question: the first search typed pushes, the next ones replace it,
  // until the box is left or something else searches (a submit, a facet, a page); a search
  // that lands where we already are adds nothing.
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!searchForm(elt)) return;
    var update = event.detail.history;
    if (sameAddress(update.path)) {
      update.type = "replace";
      return;
    }
    var typed = elt.id === "q";
    if (typed && typedEntry) update.type = "replace";
    typedEntry = typed;
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.id === "q" && searchForm(event.target)) typedEntry = false;
  });

  // Back and Forward: the restored page is a snapshot of the markup, where the box and the
  // ticks are as the server first sent them; set them from the address, which the results match.
  function syncFormToAddress(form) {
    var params = new URLSearchParams(location.search);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") {
        el.checked = params.getAll(el.name).indexOf(el.value) !== -1;
      } else if (el.type === "radio") {
        var group = form.querySelectorAll('input[type=radio][name="' + el.name + '"]');
        el.checked = params.has(el.name) ? params.get(el.name) === el.value : el === group[0];
      } else if (el.tagName === "INPUT") {
        el.value = params.get(el.name) || "";
      }
    });
  }
  document.addEventListener("htmx:historyRestore", function () {
    typedEntry = false;
    var form = document.querySelector(FORM);
    if (form) syncFormToAddress(form);
  });

  // Keep the reader's place over a swap of the results: focus stays on the control used
  // (the new copy of it), folders opened stay open, and after paging focus goes to the heading.
  function focusKey(el, results) {
    if (!el || !results.contains(el)) return null;
    if (el.tagName === "INPUT" && el.name) return { name: el.name, value: el.value };
    if (el.tagName === "SUMMARY") return { panel: el.parentNode.getAttribute("data-panel") };
    if (el.tagName === "A") return { link: el.textContent.trim() };
    return null;
  }

  function findKey(key, results) {
    if (key.name) {
      return Array.prototype.find.call(results.querySelectorAll("input[name]"), function (el) {
        return el.name === key.name && el.value === key.value;
      });
    }
    if (key.panel) {
      var panel = results.querySelector('details[data-panel="' + key.panel + '"]');
      return panel && panel.querySelector("summary");
    }
    return Array.prototype.find.call(results.querySelectorAll("a"), function (el) {
      return el.textContent.trim() === key.link;
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var results = event.detail.target;
    if (!results || results.id !== "results") return;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    beforeSwap = {
      paging: !!(elt && elt.closest && elt.closest(".pagination")),
      focus: focusKey(document.activeElement, results),
      open: Array.prototype.map.call(results.querySelectorAll("details[data-panel][open]"), function (d) {
        return d.getAttribute("data-panel");
      }),
    };
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var results = event.detail.target;
    if (!results || results.id !== "results" || !beforeSwap) return;
    var was = beforeSwap;
    beforeSwap = null;
    was.open.forEach(function (name) {
      var panel = results.querySelector('details[data-panel="' + name + '"]');
      if (panel) panel.open = true;
    });
    var heading = document.getElementById("hits-heading");
    var target = was.paging ? heading : was.focus && (findKey(was.focus, results) || heading);
    if (!target) return;
    // A control folded away on a narrow screen cannot take focus: unfold its folders first.
    var d = target.tagName === "SUMMARY" ? target.parentNode.parentNode : target.parentNode;
    for (; d && d !== results; d = d.parentNode) {
      if (d.tagName === "DETAILS") d.open = true;
    }
    target.focus();
    if (was.paging) target.scrollIntoView({ block: "start" });
  });

  // "Hoppa till resultaten" moves focus without adding "#hits-heading" to the history.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.skip-results");
    var target = link && document.getElementById(link.hash.slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "start" });
  });
  // Wide screens show the facets unfolded (style.css, through ::details-content); where a
  // browser lacks that, unfold them here instead of leaving them behind "Avgränsa".
  document.addEventListener("htmx:load", function () {
    if (!window.CSS || CSS.supports("selector(::details-content)")) return;
    if (!window.matchMedia("(min-width: 50.01rem)").matches) return;
    document.querySelectorAll("details.refine").forEach(function (d) {
      d.open = true;
    });
  });
  // ---- end of the search page --------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    var upload = document.getElementById("upload-form");
    if (upload) enhanceUpload(upload);
    confirmDeletes();
  });
})();

// Beskriv din investering: the form is a GET, so its results have an address; a description
// too long for an address is sent as a POST instead (with the CSRF token the form carries),
// and the page then says the results are not kept. Runs before htmx's own submit handler.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("describe-form");
    if (!form) return;
    form.addEventListener(
      "submit",
      function (event) {
        var query = new URLSearchParams(new FormData(form)).toString();
        if (query.length <= parseInt(form.getAttribute("data-share-max"), 10)) return;
        event.stopImmediatePropagation();
        form.method = "post";
        if (!form.querySelector("input[name=csrf_token]")) {
          var token = document.createElement("input");
          token.type = "hidden";
          token.name = "csrf_token";
          token.value = form.getAttribute("data-csrf");
          form.appendChild(token);
        }
      },
      true
    );
  });
})();

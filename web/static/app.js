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
        label.textContent = "Uppladdningen misslyckades. Försök igen.";
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

// Shows how far the upload is while a form with files is sent. The form goes by
// XMLHttpRequest, as htmx would send it (HX-Request: a success answers with HX-Redirect, and
// the browser then opens that page as after a whole-page post, so the address follows); the
// form's <progress> is fed by the upload's progress events. When the answer is the page again
// (a refused file: 422), its main part replaces this one's, with what was typed, and the
// error summary takes focus. Any other answer, or no answer: the form is sent again as a whole
// page, as without JavaScript. Without JavaScript, or with no file chosen, nothing changes.
(function () {
  "use strict";

  function chosenFiles(form) {
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].files && inputs[i].files.length > 0) {
        return true;
      }
    }
    return false;
  }

  function show(bar, loaded, total) {
    var percent = total ? Math.round((loaded / total) * 100) : 0;
    bar.value = percent;
    bar.textContent = percent + "%";
  }

  function replaceMain(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.getElementById("inhoud");
    var here = document.getElementById("inhoud");
    if (!fresh || !here) {
      return false;
    }
    here.replaceWith(document.importNode(fresh, true));
    if (page.title) {
      document.title = page.title;
    }
    var summary = document.getElementById("fouten");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) {
      return;
    }
    var box = form.querySelector(".mijn-upload-progress");
    if (!box || !window.FormData || !chosenFiles(form)) {
      return;
    }
    event.preventDefault();
    if (form.getAttribute("data-sending")) {
      return; // a double click sends it once
    }
    form.setAttribute("data-sending", "1");
    var bar = box.querySelector("progress");
    show(bar, 0, 0);
    box.hidden = false;
    // The form's order: the CSRF token stays the first part.
    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    function wholePage() {
      box.hidden = true;
      form.removeAttribute("data-sending");
      HTMLFormElement.prototype.submit.call(form);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) {
        show(bar, progress.loaded, progress.total);
      }
    });
    xhr.addEventListener("load", function () {
      var next = xhr.getResponseHeader("HX-Redirect");
      if (next) {
        show(bar, 1, 1);
        window.location.assign(next);
      } else if (xhr.status !== 422 || !replaceMain(xhr.responseText)) {
        wholePage();
      }
    });
    xhr.addEventListener("error", wholePage);
    xhr.send(data);
  });
})();

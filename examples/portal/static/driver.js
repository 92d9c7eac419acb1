// The driver page's signature pad: draw with a mouse, a finger or a pen on a
// canvas; the drawing is sent as a PNG data URL in a hidden field.
(function () {
  "use strict";
  document.querySelectorAll("form.complete-form").forEach(function (form) {
    var canvas = form.querySelector("canvas.signature-pad");
    var field = form.querySelector("input.signature-data");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";
    var drawing = false, drawn = false;
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true;
      var p = point(e);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
    });
    function end() { drawing = false; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    form.querySelector(".clear-signature").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
    });
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  });
})();

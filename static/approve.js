/* The approval bar at the bottom of the member list: how many are ticked, and ticking
   every applicant on this page at once. Without it the bar's button still approves. */
(function () {
  "use strict";
  var bar = document.getElementById("approve-form");
  if (!bar) return;
  var all = document.getElementById("tick-all");
  var count = document.getElementById("ticked-count");
  var template = count.getAttribute("data-template");
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[name="member_ids"][form="approve-form"]'));
  }
  function update() {
    var list = boxes();
    var ticked = list.filter(function (box) { return box.checked; }).length;
    count.textContent = template.replace("{n}", String(ticked));
    all.checked = list.length > 0 && ticked === list.length;
    all.disabled = list.length === 0;
  }
  all.parentNode.hidden = false;
  count.hidden = false;
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
    update();
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "member_ids") update();
  });
  var results = document.getElementById("results");
  if (results && window.MutationObserver) {
    new MutationObserver(update).observe(results, { childList: true, subtree: true });
  }
  update();
})();

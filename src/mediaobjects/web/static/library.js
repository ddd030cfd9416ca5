// Progressive enhancement of a library page: search, sort, the layout and pagination work
// without this script (the form's Apply button, plain links). With it, choosing a sort order
// applies it at once. (Uploading, which needs script, is upload.js.)
const form = document.querySelector("form.filters");
const sort = document.getElementById("sort_by");
if (form && sort) {
  sort.addEventListener("change", () => form.requestSubmit());
}

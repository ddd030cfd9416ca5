// The LTI deep-link picker (templates/lti_picker.html). Everything but uploading works without
// this script: the search form, the pages, choosing and Cancel are plain forms and links. With
// it, the Add button waits for a choice and says how many are chosen, a place or sort order
// applies at once, and a card that upload.js adds after an upload becomes choosable, and chosen
// (a teacher uploading from the editor's button means to embed it).
const choice = document.getElementById("picker-choice");
const add = document.getElementById("picker-add");
const said = document.getElementById("picker-chosen");
const multiple = choice.dataset.multiple === "true";
let uploaded = 0;

function update() {
  const count = choice.querySelectorAll('input[name="media_id"]:checked').length;
  add.disabled = count === 0;
  if (count === 0) said.textContent = multiple ? "Choose one or more media." : "Choose one media.";
  else said.textContent = `${count} chosen`;
}

// upload.js builds the library's card (a title linking to the media page, which needs a
// session cookie this frame does not have): here the thumbnail and title label a choice.
function choosable(card, mediaId) {
  const id = `choose-uploaded-${++uploaded}`;
  const input = document.createElement("input");
  Object.assign(input, { className: "choose", type: multiple ? "checkbox" : "radio", name: "media_id", value: mediaId, id });
  const label = document.createElement("label");
  label.htmlFor = id;
  const title = document.createElement("span");
  title.className = "card-title";
  title.textContent = card.querySelector(".card-title").textContent;
  const thumb = card.querySelector(".thumb");
  const thumbSpan = document.createElement("span");
  thumbSpan.className = "thumb";
  thumbSpan.append(...thumb.childNodes);
  label.append(thumbSpan, title);
  const facts = card.querySelector(".facts");
  card.replaceChildren(input, label, facts);
  input.checked = true;
}

choice.addEventListener("change", update);
document.addEventListener("media-uploaded", (event) => {
  choosable(event.target, event.detail.mediaId);
  update();
});
document.addEventListener("media-state", (event) => {
  const input = event.target.querySelector('input[name="media_id"]');
  if (input && event.detail.state === "failed") {
    input.checked = false;
    input.disabled = true;
    update();
  }
});

const filters = document.querySelector("form.filters");
for (const id of ["place", "sort_by"]) {
  const select = document.getElementById(id);
  if (filters && select) select.addEventListener("change", () => filters.requestSubmit());
}
update();

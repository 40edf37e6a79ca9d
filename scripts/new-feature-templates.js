// The files scripts/new-feature writes, as functions of the feature it was given. The Rust comes out of
// rustfmt afterwards; what is inside `view!` is left as written here, so it is indented by hand.
"use strict";

// Valid values for the tests: as the form sends them, as the server answers them (JSON), as the page shows them,
// and, for a date and time typed in the browser's zone (the end-to-end tests run in Asia/Kolkata, UTC+05:30), as
// stored (\`utc\`).
const EXAMPLES = {
  text: { sent: "An example", json: '"An example"', shown: "An example" },
  longtext: { sent: "First line\\nsecond line", json: '"First line\\nsecond line"', shown: "First line second line" },
  int: { sent: "42", json: "42", shown: "42" },
  bool: { sent: "true", json: "true", shown: "Yes" },
  url: { sent: "https://example.com/a", json: '"https://example.com/a"', shown: "https://example.com/a" },
  date: { sent: "2026-12-01", json: '"2026-12-01"', shown: "2026-12-01" },
  datetime: { sent: "2026-12-01T09:30", json: '"2026-12-01T09:30:00Z"', shown: "2026-12-01 09:30", utc: "2026-12-01T04:00:00Z" },
};
const CHANGED = {
  text: { sent: "Changed", json: '"Changed"', shown: "Changed" },
  longtext: { sent: "Changed\\ntext", json: '"Changed\\ntext"', shown: "Changed text" },
  int: { sent: "-7", json: "-7", shown: "-7" },
  bool: { sent: "false", json: "false", shown: "No" },
  url: { sent: "https://example.org/b", json: '"https://example.org/b"', shown: "https://example.org/b" },
  date: { sent: "2027-01-02", json: '"2027-01-02"', shown: "2027-01-02" },
  datetime: { sent: "2027-01-02T03:04", json: '"2027-01-02T03:04:00Z"', shown: "2027-01-02 03:04", utc: "2027-01-01T21:34:00Z" },
};
// An optional field is emptied by the change: stored as NULL, shown as "—".
const CLEARED = { sent: "", json: "null", shown: "—" };
// A field's example value: EXAMPLES or CHANGED.
const example = (values, f) => (values === CHANGED && f.optional ? CLEARED : values[f.type]);

const indent = (lines, spaces) => lines.map((l) => (l ? " ".repeat(spaces) + l : l)).join("\n");
const maxConst = (f) => `MAX_${f.name.toUpperCase()}_CHARS`;
const inputId = (feature, f) => `${feature.route}-${f.name.replace(/_/g, "-")}`;
const formLabel = (f) => (f.optional ? `${f.label} (optional)` : f.label);
// The call that checks a field's value (\`value\`, a &str) on the server.
const checkCall = (f, value) => {
  const label = JSON.stringify(f.label);
  switch (f.type) {
    case "text":
    case "longtext":
      return `fields::text(${label}, ${value}, ${maxConst(f)})`;
    case "url":
      return `fields::url(${label}, ${value}, ${maxConst(f)})`;
    default:
      return `fields::${f.type}(${label}, ${value})`;
  }
};

function migration(feature) {
  const { name, fields } = feature;
  const width = Math.max(10, ...fields.map((f) => f.name.length));
  const column = (n, rest) => `    ${n.padEnd(width)} ${rest}`;
  const columns = [
    column("id", "uuid PRIMARY KEY DEFAULT gen_random_uuid()"),
    column("user_id", "uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE"),
    ...fields.map((f) => {
      const notNull = f.optional ? "" : " NOT NULL";
      if (f.max) return column(f.name, `text${notNull} CHECK (char_length(${f.name}) BETWEEN 1 AND ${f.max})`);
      if (f.type === "bool") return column(f.name, "boolean NOT NULL DEFAULT false");
      return column(f.name, `${f.sql}${notNull}`);
    }),
    column("created_at", "timestamptz NOT NULL DEFAULT now()"),
    column("updated_at", "timestamptz NOT NULL DEFAULT now()"),
  ];
  return `-- Each user's ${feature.title.toLowerCase()}: written by \`${feature.command}\`.
CREATE TABLE ${name} (
${columns.join(",\n")}
);
-- The page's list: one user's rows, newest first.
CREATE INDEX ${name}_user_id_created_at_idx ON ${name} (user_id, created_at DESC);
`;
}

function featureModule(feature) {
  const { name, fields, Item, Page } = feature;
  const Form = `${Item}Form`;
  const Row = `${Item}Row`;
  const [listFn, createFn, updateFn, deleteFn] = feature.fns;
  const cols = fields.map((f) => f.name).join(", ");
  const returning = `id, ${cols}`;
  const placeholders = fields.map((_, i) => `$${i + 2}`).join(", ");
  const sets = fields.map((f, i) => `${f.name} = $${i + 3}`).join(", ");
  const binds = fields.map((f) => `        .bind(${f.stored === "String" ? "&" : ""}valid.${f.name})`);
  const opt = (f, type) => (f.optional ? `Option<${type}>` : type);
  const datetimes = fields.filter((f) => f.type === "datetime");
  const sql = (text) => JSON.stringify(text);
  // A query over several lines of one string literal (\ at a line's end drops the break and the next indent).
  const sqlLines = (lines) => `"${lines.join(" \\\n         ")}"`;

  const consts = fields
    .filter((f) => f.max)
    .map((f) => `pub const ${maxConst(f)}: usize = ${f.max};`)
    .join("\n");
  const itemDocs = { datetime: "UTC, RFC 3339 (`2026-12-01T09:30:00Z`)", date: "`2026-12-01`" };
  const itemFields = fields
    .map((f) => {
      const doc = [itemDocs[f.type], f.optional && "`None` when left empty"].filter(Boolean).join("; ");
      return `${doc ? `    /// ${doc[0].toUpperCase()}${doc.slice(1)}.\n` : ""}    pub ${f.name}: ${opt(f, f.rust)},`;
    })
    .join("\n");
  const formFields = fields.map((f) => `    pub ${f.name}: ${f.form},`).join("\n");
  const fromSaved = fields
    .map((f) => {
      const saved = `saved.${f.name}`;
      if (f.type === "bool") return `            ${f.name}: ${saved},`;
      if (f.type === "int") {
        return `            ${f.name}: ${f.optional ? `${saved}.map(|n| n.to_string()).unwrap_or_default()` : `${saved}.to_string()`},`;
      }
      if (f.type === "datetime") {
        return `            ${f.name}: ${f.optional ? `${saved}.as_deref().map(fields::datetime_for_input).unwrap_or_default()` : `fields::datetime_for_input(&${saved})`},`;
      }
      return `            ${f.name}: ${saved}.clone()${f.optional ? ".unwrap_or_default()" : ""},`;
    })
    .join("\n");
  // Dates and times are typed in the visitor's zone and sent in UTC.
  const forServer = datetimes.length
    ? `

    /// The form as the server takes it: each date and time, typed in the visitor's time zone, in UTC.
    fn for_server(mut self) -> Self {
${datetimes.map((f) => `        self.${f.name} = fields::datetime_from_input(&self.${f.name});`).join("\n")}
        self
    }`
    : "";
  // The checked values and the row's columns have the same Rust types.
  const storedFields = fields.map((f) => `    pub ${f.name}: ${opt(f, f.stored)},`).join("\n");
  const rowTypes = ["fields::Uuid", ...fields.map((f) => opt(f, f.stored))].join(", ");
  const toWire = { datetime: "fields::datetime_to_string", date: "fields::date_to_string" };
  const fromRow = fields
    .map((f) => {
      const convert = toWire[f.type];
      if (!convert) return `            ${f.name},`;
      return `            ${f.name}: ${f.optional ? `${f.name}.map(${convert})` : `${convert}(${f.name})`},`;
    })
    .join("\n");
  const checks = fields
    .map((f) => {
      if (f.type === "bool") return `            ${f.name}: self.${f.name},`;
      if (f.optional) return `            ${f.name}: fields::optional(&self.${f.name}, |v| ${checkCall(f, "v")})?,`;
      return `            ${f.name}: ${checkCall(f, `&self.${f.name}`)}?,`;
    })
    .join("\n");
  const notFound = `AppError::new(404, "${feature.One} not found.")`;

  return `//! Each user's ${feature.title.toLowerCase()}, written by
//! \`${feature.command}\`.
//!
//! Like \`notes.rs\`: the server functions take the signed-in user from \`require_user()\` (\`require_user_for_write()\`
//! for changes, counted against the user's budget) and scope every query to them, so another user's ${feature.one} is
//! "not found"; they check every field on the server (\`fields\`) and answer 400, 401, 403 (the CSRF check), 404 or
//! 429 with a message the page shows (a toast, \`use_toast\`). The list comes in pages of \`PAGE_SIZE\`, newest first. The page is wrapped in
//! \`RequireUser\` and calls them through \`with_refresh\`; its list and actions are made in \`${Page}\`, outside
//! \`RequireUser\` (see \`notes.rs\` for why).

use leptos::either::${fields.some(usesEither) ? "{Either, EitherOf3}" : "EitherOf3"};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};
use serde::{Deserialize, Serialize};
use vector_auth::prelude::*;

${consts}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ${Item} {
    pub id: String,
${itemFields}
}

/// The form's fields as the browser sends them; the server checks them before anything is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ${Form} {
${formFields}
}

impl ${Form} {
    /// The form filled in with a saved ${feature.one}, to edit it.
    fn from_saved(saved: &${Item}) -> Self {
        Self {
${fromSaved}
        }
    }

    /// Every field checked (\`fields\`) and typed for the database, or a 400 naming the field.
    pub fn validate(&self) -> Result<Valid${Item}, AppError> {
        Ok(Valid${Item} {
${checks}
        })
    }${forServer}
}

/// The form's fields, checked and typed for the database.
pub struct Valid${Item} {
${storedFields}
}

/// A row as the queries return it: the id, the fields in the form's order, and when it was made (the list's
/// order).
pub type ${Row} = (${rowTypes}, fields::OffsetDateTime);

impl From<${Row}> for ${Item} {
    fn from((id, ${cols}, _): ${Row}) -> Self {
        Self {
            id: id.to_string(),
${fromRow}
        }
    }
}

/// A page of the signed-in user's ${feature.title.toLowerCase()}, newest first: the first, or the one after \`cursor\`.
#[server]
pub async fn ${listFn}(cursor: Option<String>) -> Result<Page<${Item}>, AppError> {
    // The state first: the context is not available after an await.
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user().await?;
    let cursor = cursor.as_deref().map(Cursor::parse).transpose()?;
    let rows: Vec<${Row}> = sqlx::query_as(
        ${sqlLines([`SELECT ${returning}, created_at FROM ${name}`, `WHERE user_id = $1::uuid AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))`, `ORDER BY created_at DESC, id DESC LIMIT $4`])},
    )
        .bind(&user.id)
        .bind(cursor.map(|c| c.at))
        .bind(cursor.map(|c| c.id))
        .bind(PAGE_SIZE + 1)
        .fetch_all(&db)
        .await?;
    let page = Page::from_rows(rows, PAGE_SIZE, |row| Cursor::new(row.${fields.length + 1}, row.0));
    Ok(page.map(${Item}::from))
}

#[server]
pub async fn ${createFn}(form: ${Form}) -> Result<${Item}, AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user_for_write().await?;
    let valid = form.validate()?;
    let row: ${Row} = sqlx::query_as(
        ${sqlLines([`INSERT INTO ${name} (user_id, ${cols})`, `VALUES ($1::uuid, ${placeholders})`, `RETURNING ${returning}, created_at`])},
    )
        .bind(&user.id)
${binds.join("\n")}
        .fetch_one(&db)
        .await?;
    Ok(row.into())
}

#[server]
pub async fn ${updateFn}(id: String, form: ${Form}) -> Result<${Item}, AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user_for_write().await?;
    let id = fields::id("${feature.one}", &id)?;
    let valid = form.validate()?;
    let row: Option<${Row}> = sqlx::query_as(
        ${sqlLines([`UPDATE ${name} SET ${sets}, updated_at = now()`, `WHERE id = $1 AND user_id = $2::uuid`, `RETURNING ${returning}, created_at`])},
    )
        .bind(id)
        .bind(&user.id)
${binds.join("\n")}
        .fetch_optional(&db)
        .await?;
    // Someone else's ${feature.one} is "not found" too: its existence is none of this user's business.
    row.map(${Item}::from).ok_or_else(|| ${notFound})
}

#[server]
pub async fn ${deleteFn}(id: String) -> Result<(), AppError> {
    let db = crate::state::AppState::from_context()?.db;
    let user = require_user_for_write().await?;
    let id = fields::id("${feature.one}", &id)?;
    let deleted = sqlx::query(${sql(`DELETE FROM ${name} WHERE id = $1 AND user_id = $2::uuid`)})
        .bind(id)
        .bind(&user.id)
        .execute(&db)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(${notFound});
    }
    Ok(())
}

/// Saves the form: a new ${feature.one}, or (with an id) changes to one.
type SaveAction = Action<(Option<String>, ${Form}), Result<${Item}, AppError>>;
type DeleteAction = Action<String, Result<(), AppError>>;
type ListResource = Resource<Result<Page<${Item}>, AppError>>;

/// The page, loaded on its own when the browser first goes to it (a lazy route, as \`NotesPage\`): its list starts
/// loading at once (\`data\`, in the first download), while the code that shows it and changes it (\`view\`, with
/// the calls it makes) arrives in the page's own chunk.
pub struct ${Page} {
    list: ListResource,
    /// Counts the changes made on the page: the list loads again after each.
    changes: RwSignal<usize>,
}

#[lazy_route]
impl LazyRoute for ${Page} {
    fn data() -> Self {
        let auth = Auth::get();
        let changes = RwSignal::new(0);
        // Loaded again after each change and when the signed-in user changes.
        let list: ListResource = Resource::new(
            move || (auth.user_id(), changes.get()),
            move |_| load_for_user(auth, Page::default(), || ${listFn}(None)),
        );
        Self { list, changes }
    }

    fn view(this: Self) -> AnyView {
        let ${Page} { list, changes } = this;
        // Made out here, outside \`RequireUser\` (see \`NotesPage\`).
        let save: SaveAction = Action::new(|(id, form): &(Option<String>, ${Form})| {
            let (id, form) = (id.clone(), form.clone());
            async move {
                match id {
                    Some(id) => with_refresh(|| ${updateFn}(id.clone(), form.clone())).await,
                    None => with_refresh(|| ${createFn}(form.clone())).await,
                }
            }
        });
        let delete: DeleteAction = Action::new(|id: &String| {
            let id = id.clone();
            async move { with_refresh(|| ${deleteFn}(id.clone())).await }
        });
        on_result(save, move |_| changes.update(|n| *n += 1));
        on_result(delete, move |_| changes.update(|n| *n += 1));
        view! {
            <RequireUser>
                <${feature.Plural}List save delete list/>
            </RequireUser>
        }
        .into_any()
    }
}

#[component]
fn ${feature.Plural}List(save: SaveAction, delete: DeleteAction, list: ListResource) -> impl IntoView {
    let draft = RwSignal::new(${Form}::default());
    // The id of the ${feature.one} being edited: the form then saves changes to it instead of adding one.
    let editing = RwSignal::new(None::<String>);
    let reset = move || {
        draft.set(${Form}::default());
        editing.set(None);
    };
    // Each outcome said in a message (a refusal in the server's words); the form cleared once saved.
    let toasts = use_toast();
    on_result(save, move |result| {
        let saved = if editing.get_untracked().is_some() { "Changes saved." } else { "${feature.One} added." };
        toasts.report(result, saved);
        if result.is_ok() {
            reset();
        }
    });
    on_result(delete, move |result| toasts.report(result, "${feature.One} deleted."));

    view! {
        <section class="card">
            <h1>"Your ${feature.title.toLowerCase()}"</h1>
            <form class="record-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((editing.get_untracked(), draft.get_untracked()${datetimes.length ? ".for_server()" : ""}));
            }>
${indent(fields.flatMap((f) => inputView(feature, f)), 16)}
                <div class="record-actions">
                    <button class="button" type="submit" disabled=save.pending()>
                        {move || if editing.get().is_some() { "Save changes" } else { "Add ${feature.one}" }}
                    </button>
                    <Show when=move || editing.get().is_some()>
                        <button class="button secondary" type="button" on:click=move |_| reset()>"Cancel"</button>
                    </Show>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="status">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Ok(first) if first.items.is_empty() => EitherOf3::A(view! {
                        <p class="status" data-testid="no-${feature.route}">"No ${feature.title.toLowerCase()} yet: add the first above."</p>
                    }),
                    Ok(first) => EitherOf3::B(view! { <${Item}Pages first draft editing delete/> }),
                    Err(e) => EitherOf3::C(view! { <p class="form-error" role="alert">{e.detail}</p> }),
                })}
            </Transition>
        </section>
    }
}

/// The list: the first page, then each page "Show more" loads after it.
#[component]
fn ${Item}Pages(
    first: Page<${Item}>,
    draft: RwSignal<${Form}>,
    editing: RwSignal<Option<String>>,
    delete: DeleteAction,
) -> impl IntoView {
    let more = RwSignal::new(Vec::<${Item}>::new());
    let next = RwSignal::new(first.next.clone());
    let load_more = Action::new(|cursor: &String| {
        let cursor = cursor.clone();
        async move { with_refresh(|| ${listFn}(Some(cursor.clone()))).await }
    });
    let toasts = use_toast();
    on_result(load_more, move |result| match result {
        Ok(page) => {
            more.update(|items| items.extend(page.items.clone()));
            next.set(page.next.clone());
        }
        Err(e) => toasts.failure(e),
    });
    view! {
        <ul class="records" data-testid="${feature.route}">
            {first.items.into_iter().map(|item| view! { <${Item}Item item draft editing delete/> }).collect_view()}
            {move || more.get().into_iter().map(|item| view! { <${Item}Item item draft editing delete/> }).collect_view()}
        </ul>
        <Show when=move || next.with(Option::is_some)>
            <button class="button secondary" data-testid="more-${feature.route}" disabled=load_more.pending()
                on:click=move |_| { if let Some(cursor) = next.get_untracked() { load_more.dispatch(cursor); } }>
                "Show more"
            </button>
        </Show>
    }
}

#[component]
fn ${Item}Item(
    item: ${Item},
    draft: RwSignal<${Form}>,
    editing: RwSignal<Option<String>>,
    delete: DeleteAction,
) -> impl IntoView {
    let edit = {
        let item = item.clone();
        move |_: leptos::ev::MouseEvent| {
            draft.set(${Form}::from_saved(&item));
            editing.set(Some(item.id.clone()));
        }
    };
    let id = item.id.clone();
    view! {
        <li class="record">
            <dl class="record-fields">
${indent(fields.flatMap((f) => displayView(f)), 16)}
            </dl>
            <div class="record-actions">
                <button class="button secondary small" on:click=edit>"Edit"</button>
                <button class="button secondary small" on:click=move |_| { delete.dispatch(id.clone()); }>"Delete"</button>
            </div>
        </li>
    }
}
`;
}

function inputView(feature, f) {
  const id = inputId(feature, f);
  const label = formLabel(f);
  if (f.type === "bool") {
    return [
      `<label class="checkbox">`,
      `    <input`,
      `        type="checkbox"`,
      `        prop:checked=move || draft.with(|d| d.${f.name})`,
      `        on:change=move |ev| draft.update(|d| d.${f.name} = event_target_checked(&ev))`,
      `    />`,
      `    "${label}"`,
      `</label>`,
    ];
  }
  const value = [
    `    prop:value=move || draft.with(|d| d.${f.name}.clone())`,
    `    on:input=move |ev| draft.update(|d| d.${f.name} = event_target_value(&ev))`,
  ];
  if (f.type === "longtext") {
    return [
      `<label for="${id}">"${label}"</label>`,
      `<textarea`,
      `    id="${id}"`,
      `    rows="4"`,
      `    maxlength=${maxConst(f)}.to_string()`,
      ...value,
      `></textarea>`,
    ];
  }
  const attrs = {
    text: [`type="text"`, `maxlength=${maxConst(f)}.to_string()`],
    url: [`type="url"`, `maxlength=${maxConst(f)}.to_string()`, `placeholder="https://"`],
    int: [`type="number"`, `step="1"`, `inputmode="numeric"`],
    date: [`type="date"`],
    datetime: [`type="datetime-local"`],
  }[f.type];
  return [`<label for="${id}">"${label}"</label>`, `<input`, `    id="${id}"`, ...attrs.map((a) => `    ${a}`), ...value, `/>`];
}

// Optional links and dates and times show either their element or "—".
const usesEither = (f) => f.optional && (f.type === "url" || f.type === "datetime");

function displayView(f) {
  const value = `item.${f.name}`;
  const or = (some) => `{match ${value} { Some(${f.type === "url" ? "url" : "utc"}) => Either::Left(view! { ${some} }), None => Either::Right(fields::EMPTY) }}`;
  const link = (url) => `<a href=${url}.clone() rel="nofollow noopener noreferrer">{${url}.clone()}</a>`;
  const text = f.optional ? `{${value}.unwrap_or_else(|| fields::EMPTY.to_owned())}` : `{${value}}`;
  const shown = {
    text,
    longtext: `<span class="record-longtext">${text}</span>`,
    int: f.optional ? `{${value}.map_or_else(|| fields::EMPTY.to_owned(), |n| n.to_string())}` : `{${value}}`,
    bool: `{if ${value} { "Yes" } else { "No" }}`,
    url: f.optional ? or(link("url")) : link(value),
    date: text,
    datetime: f.optional ? or("<LocalDateTime utc/>") : `<LocalDateTime utc=${value}/>`,
  }[f.type];
  return [`<dt>"${f.label}"</dt>`, `<dd data-field="${f.name}">${shown}</dd>`];
}

// Invalid values the server must refuse, with its message. An optional field takes an empty value.
function invalidCases(f) {
  const blank = ([value]) => value === "String::new()" || value === `"   ".to_owned()`;
  return requiredCases(f).filter((c) => !(f.optional && blank(c)));
}

function requiredCases(f) {
  const L = f.label;
  switch (f.type) {
    case "text":
    case "longtext":
      return [
        [`String::new()`, `"${L} cannot be empty."`],
        [`"   ".to_owned()`, `"${L} cannot be empty."`],
        [`"x".repeat(${f.max + 1})`, `"${L} can be at most ${f.max} characters."`],
        [`"a\\0b".to_owned()`, `"${L} cannot hold a NUL character."`],
      ];
    case "url":
      return [
        [`String::new()`, `"${L} cannot be empty."`],
        [`"javascript:alert(1)".to_owned()`, `"${L} must be an http or https address."`],
        [`"example.com".to_owned()`, `"${L} must be an http or https address."`],
        [`format!("https://example.com/{}", "x".repeat(${f.max}))`, `"${L} can be at most ${f.max} characters."`],
        [`"https://example.com/\\0".to_owned()`, `"${L} cannot hold a NUL character."`],
      ];
    case "int":
      return [
        [`String::new()`, `"${L} must be a whole number."`],
        [`"4.5".to_owned()`, `"${L} must be a whole number."`],
        [`"9223372036854775808".to_owned()`, `"${L} must be a whole number."`],
      ];
    case "datetime":
      return [
        [`String::new()`, `"${L} must be a date and time, such as 2026-12-01T09:30."`],
        [`"tomorrow".to_owned()`, `"${L} must be a date and time, such as 2026-12-01T09:30."`],
        [`"2026-13-01T09:30".to_owned()`, `"${L} must be a date and time, such as 2026-12-01T09:30."`],
        // Valid where it was written, but past year 9999 once in UTC.
        [`"9999-12-31T23:59:00-01:00".to_owned()`, `"${L} must be between the years 1 and 9999 (UTC)."`],
      ];
    case "date":
      return [
        [`String::new()`, `"${L} must be a date, such as 2026-12-01."`],
        [`"2026-02-30".to_owned()`, `"${L} must be a date, such as 2026-12-01."`],
        [`"2026-12-01T09:30".to_owned()`, `"${L} must be a date, such as 2026-12-01."`],
        [`"10000-01-01".to_owned()`, `"${L} must be a date, such as 2026-12-01."`],
      ];
    default:
      return [];
  }
}

function integrationTests(feature) {
  const { name, fields } = feature;
  const [listFn, createFn, updateFn, deleteFn] = feature.fns;
  const Struct = (fn) => feature.fnTypes[feature.fns.indexOf(fn)];
  const key = (f) => `form[${f.name}]`;
  const json = (values) => `json!({"id": id, ${fields.map((f) => `"${f.name}": ${example(values, f).json}`).join(", ")}})`;
  const boolFields = fields.filter((f) => f.type === "bool");
  const cases = fields.flatMap((f) => invalidCases(f).map(([value, message]) => `        ("${key(f)}", ${value}, ${message}),`));
  const title = feature.title.toLowerCase();

  return `//! The ${title} feature (written by \`${feature.command}\`) through its server functions: each user's
//! own rows only, every field checked, and the statuses of a missing session, a forged request and a row that is
//! not there.

use app::pages::${name}::{${[createFn, deleteFn, listFn, updateFn].map(Struct).join(", ")}};
use leptos::server_fn::ServerFn;
use vector_auth::prelude::PAGE_SIZE;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::*;

/// A valid form, as the page sends it, with \`changes\` made to it.
fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
${fields.map((f) => `        ("${key(f)}", "${EXAMPLES[f.type].sent}"),`).join("\n")}
    ];
    for &(name, value) in changes {
        let field = form.iter_mut().find(|(n, _)| *n == name).expect("a field of the form");
        field.1 = value;
    }
    form
}

/// Every field changed${fields.some((f) => f.optional) ? " (the optional ones emptied)" : ""}.
fn changed_form() -> Vec<(&'static str, &'static str)> {
    form(&[
${fields.map((f) => `        ("${key(f)}", "${example(CHANGED, f).sent}"),`).join("\n")}
    ])
}

/// The first page of the list: its items.
async fn list(app: &TestApp, session: &Session) -> Value {
    let response = app.call(${Struct(listFn)}::PATH, &[], session).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].clone()
}

#[sqlx::test(migrations = false)]
async fn each_user_sees_changes_and_deletes_only_their_own_${name}(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    let response = app.call(${Struct(createFn)}::PATH, &form(&[]), &ada).await;
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created, ${json(EXAMPLES)});

    // Bob sees none of Ada's, and cannot change or delete them: they are "not found".
    assert_eq!(list(&app, &bob).await, json!([]));
    let mut update = vec![("id", id.as_str())];
    update.extend(changed_form());
    let response = app.call(${Struct(updateFn)}::PATH, &update, &bob).await;
    assert_eq!(response.status(), 404);
    assert_eq!(detail(response).await, "${feature.One} not found.");
    let delete = [("id", id.as_str())];
    assert_eq!(app.call(${Struct(deleteFn)}::PATH, &delete, &bob).await.status(), 404);
    assert_eq!(list(&app, &ada).await, json!([created]));

    let response = app.call(${Struct(updateFn)}::PATH, &update, &ada).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated, ${json(CHANGED)});
    assert_eq!(list(&app, &ada).await, json!([updated]));

    assert_eq!(app.call(${Struct(deleteFn)}::PATH, &delete, &ada).await.status(), 200);
    assert_eq!(app.call(${Struct(deleteFn)}::PATH, &delete, &ada).await.status(), 404);
    assert_eq!(app.call(${Struct(updateFn)}::PATH, &update, &ada).await.status(), 404);
    assert_eq!(list(&app, &ada).await, json!([]));
}

#[sqlx::test(migrations = false)]
async fn ${name}_with_invalid_fields_are_refused_with_the_reason(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;

    let cases: Vec<(&str, String, &str)> = vec![
${cases.join("\n")}
    ];
    for (field, value, message) in cases {
        let response = app.call(${Struct(createFn)}::PATH, &form(&[(field, &value)]), &ada).await;
        assert_eq!(response.status(), 400, "{field} = {value:?}");
        assert_eq!(detail(response).await, message, "{field} = {value:?}");
    }
${boolFields
  .map(
    (f) => `    let response = app.call(${Struct(createFn)}::PATH, &form(&[("${key(f)}", "maybe")]), &ada).await;
    assert_eq!(response.status(), 400, "${f.name} is true or false");
`,
  )
  .join("")}
    let bad_id = [("id", "not-an-id")];
    assert_eq!(app.call(${Struct(deleteFn)}::PATH, &bad_id, &ada).await.status(), 400);
    let mut update = vec![("id", "not-an-id")];
    update.extend(form(&[]));
    assert_eq!(app.call(${Struct(updateFn)}::PATH, &update, &ada).await.status(), 400);
    assert_eq!(app.rows("${name}").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_${name}_list_comes_in_pages_newest_first(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..=PAGE_SIZE {
        let response = app.call(${Struct(createFn)}::PATH, &form(&[]), &ada).await;
        assert_eq!(response.status(), 200);
        let created: Value = response.json().await.unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let first: Value = app.call(${Struct(listFn)}::PATH, &[], &ada).await.json().await.unwrap();
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, PAGE_SIZE);
    assert_eq!(items[0]["id"], ids[ids.len() - 1], "newest first");
    let cursor = first["next"].as_str().expect("a cursor for the next page");
    let second: Value = app
        .call(${Struct(listFn)}::PATH, &[("cursor", cursor)], &ada)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], ids[0], "the oldest last");
    assert_eq!(second["next"], Value::Null);
    let response = app.call(${Struct(listFn)}::PATH, &[("cursor", "garbage")], &ada).await;
    assert_eq!(response.status(), 400);
}

#[sqlx::test(migrations = false)]
async fn ${name}_need_a_session_and_a_same_origin_request(db: PgPool) {
    let app = spawn_app(db).await;
    let signed_out = Session::default();
    assert_eq!(app.call(${Struct(listFn)}::PATH, &[], &signed_out).await.status(), 401);
    assert_eq!(app.call(${Struct(createFn)}::PATH, &form(&[]), &signed_out).await.status(), 401);

    let ada = app.sign_in_as("ada@example.com").await;
    let response = app
        .http
        .post(app.url(${Struct(createFn)}::PATH))
        .header("cookie", ada.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.com")
        .form(&form(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.rows("${name}").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_${name}_page_is_rendered_on_the_server_with_the_users_${name}(db: PgPool) {
    let app = spawn_app(db).await;
    let ada = app.sign_in_as("ada@example.com").await;
    assert_eq!(app.call(${Struct(createFn)}::PATH, &form(&[]), &ada).await.status(), 200);

    let response = app
        .get("/${feature.route}")
        .header("accept", "text/html")
        .header("cookie", ada.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Your ${title}"));
    assert!(html.contains(r#"data-testid="${feature.route}""#), "the list is in the first HTML");
}
`;
}

function endToEndTest(feature) {
  const { fields } = feature;
  const add = `Add ${feature.one}`;
  const datetimes = fields.filter((f) => f.type === "datetime");
  const input = (f) => `page.getByLabel(${JSON.stringify(formLabel(f))}, { exact: true })`;
  const typed = (value) => JSON.stringify(value.sent.replace(/\\n/g, "\n"));
  const fill = (values) =>
    fields
      .map((f) => {
        if (f.type === "bool") return `  await ${input(f)}.setChecked(${values[f.type].sent});`;
        return `  await ${input(f)}.fill(${typed(example(values, f))});`;
      })
      .join("\n");
  // What each field shows; a date and time also carries the UTC instant stored (\`<time datetime>\`).
  const shows = (values) =>
    fields
      .flatMap((f) => {
        const value = example(values, f);
        const field = `item.locator('[data-field="${f.name}"]')`;
        const lines = [`  await expect(${field}).toHaveText(${JSON.stringify(value.shown)});`];
        if (value.utc) lines.push(`  await expect(${field}.locator("time")).toHaveAttribute("datetime", "${value.utc}");`);
        return lines;
      })
      .join("\n");
  const required = fields.find((f) => f.type !== "bool" && !f.optional);
  const emptyMessage = required && invalidCases(required)[0][1];
  const first = fields[0];
  const toasts = `page.getByTestId("toasts")`;

  return `// The ${feature.title.toLowerCase()} page (written by \`${feature.command}\`) in Chromium.
import { expect, test } from "@playwright/test";

import { accessibilityViolations, fillProxyForm, waitForHydration } from "./helpers";
${
  datetimes.length
    ? `
// Dates and times are typed and shown in the browser's zone, and stored in UTC: a zone five and a half hours
// from UTC tells them apart.
test.use({ timezoneId: "Asia/Kolkata" });
`
    : ""
}
test("${feature.title.toLowerCase()}: add, edit and delete, each said in a message; another user sees none of them", async ({ page, browser }) => {
  await page.goto("/${feature.route}");
  await fillProxyForm(page, { email: "${feature.route}-owner@example.com", firstName: "Owner" });
  await waitForHydration(page);
  await expect(page.getByTestId("no-${feature.route}")).toHaveText("No ${feature.title.toLowerCase()} yet: add the first above.");
${
  emptyMessage
    ? `
  // The server's refusal, in an alert that stays until dismissed.
  await page.getByRole("button", { name: "${add}" }).click();
  const refusal = ${toasts}.getByRole("alert");
  await expect(refusal).toContainText(${emptyMessage});
  await refusal.getByRole("button", { name: "Dismiss" }).click();
  await expect(refusal).toHaveCount(0);
`
    : ""
}
${fill(EXAMPLES)}
  await page.getByRole("button", { name: "${add}" }).click();
  await expect(${toasts}).toContainText("${feature.One} added.");
  const item = page.getByTestId("${feature.route}").locator(".record");
  await expect(item).toHaveCount(1);
${shows(EXAMPLES)}
  await expect(page.getByRole("alert")).toHaveCount(0);
${first.type === "bool" ? `  await expect(${input(first)}).not.toBeChecked();` : `  await expect(${input(first)}).toHaveValue("");`}

  expect(await accessibilityViolations(page)).toEqual([]);

  await item.getByRole("button", { name: "Edit" }).click();
${first.type === "bool" ? `  await expect(${input(first)}).toBeChecked({ checked: ${EXAMPLES.bool.sent} });` : `  await expect(${input(first)}).toHaveValue(${typed(EXAMPLES[first.type])});`}
${fill(CHANGED)}
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(${toasts}).toContainText("Changes saved.");
${shows(CHANGED)}
  await expect(item).toHaveCount(1);

  // The page as the server renders it, then hydrated: the same values.
  await page.reload();
  await waitForHydration(page);
${shows(CHANGED)}

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto("/${feature.route}");
  await fillProxyForm(otherPage, { email: "${feature.route}-other@example.com", firstName: "Other" });
  await expect(otherPage.getByTestId("no-${feature.route}")).toBeVisible();
  await other.close();

  await item.getByRole("button", { name: "Delete" }).click();
  await expect(${toasts}).toContainText("${feature.One} deleted.");
  await expect(page.getByTestId("no-${feature.route}")).toBeVisible();
});
`;
}

module.exports = { migration, featureModule, integrationTests, endToEndTest };

//! The app's pages, one file each: the component, its server functions and their types. Add yours here
//! (`pub mod my_page;`) and give it a `<Route>` in `app.rs`.

pub mod home;
pub mod members;
pub mod notes;

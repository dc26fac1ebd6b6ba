pub mod home; pub mod host; pub mod join;

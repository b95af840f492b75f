//! Playlists: smart (a query) and static (track identities), read and written as M3U/M3U8, PLS and XSPF.

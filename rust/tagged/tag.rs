//! The tags of Flask's `TaggedJSONSerializer`, in its default order.

/// A tag: the single key of the object that stands for a value JSON has no
/// type for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// A dict whose only key is a tag name, escaped as `{" di": {key + "__": v}}`.
    Dict,
    /// A tuple, as the array of its items.
    Tuple,
    /// Bytes, as standard base64 with padding.
    Bytes,
    /// `markupsafe.Markup`, as its text.
    Markup,
    /// `uuid.UUID`, as its hex digits.
    Uuid,
    /// `datetime.datetime`, as an HTTP date.
    Datetime,
}

impl Tag {
    /// Every tag.
    pub const ALL: [Tag; 6] = [
        Tag::Dict,
        Tag::Tuple,
        Tag::Bytes,
        Tag::Markup,
        Tag::Uuid,
        Tag::Datetime,
    ];

    /// The key that marks the tag.
    pub fn key(self) -> &'static str {
        match self {
            Tag::Dict => " di",
            Tag::Tuple => " t",
            Tag::Bytes => " b",
            Tag::Markup => " m",
            Tag::Uuid => " u",
            Tag::Datetime => " d",
        }
    }

    /// The tag whose key is `key`, if any.
    pub fn from_key(key: &str) -> Option<Tag> {
        Tag::ALL.into_iter().find(|tag| tag.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::Tag;

    #[test]
    fn keys_round_trip() {
        for tag in Tag::ALL {
            assert_eq!(Tag::from_key(tag.key()), Some(tag));
        }
        for key in ["", " ", "t", " t ", " di__", " x"] {
            assert_eq!(Tag::from_key(key), None);
        }
    }
}

//! Assets (JSM CMDB) REST API, documented: `POST /object/aql`, `PUT /object/{id}`,
//! `GET /objecttype/{id}/attributes`. `atlassian-api.md` §3. All ids are strings.

use super::{Op, Urls};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, Surface};
use crate::ids::{pct, AttributeId, ObjectId, ObjectTypeId};
use crate::page::{bool_or_string, opt_u64, Page};
use serde::Deserialize;
use serde_json::json;

/// Quotes a value for AQL: double quotes around it, `"` escaped as `\"`; a backslash or a control
/// character is rejected because escaping it is undocumented (§3.7, §13).
pub fn quote(value: &str) -> Result<String> {
    if value.contains('\\') {
        return Err(Error::request(format!(
            "value {value:?} contains a backslash, which AQL cannot carry safely"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::request(format!(
            "value {value:?} contains a control character"
        )));
    }
    Ok(format!("\"{}\"", value.replace('"', "\\\"")))
}

/// Replaces every `{name}` placeholder in `template` with the quoted value.
pub fn substitute(template: &str, name: &str, value: &str) -> Result<String> {
    Ok(template.replace(&format!("{{{name}}}"), &quote(value)?))
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetObject {
    pub id: ObjectId,
    #[serde(default)]
    pub object_key: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub object_type: Option<ObjectTypeRef>,
    #[serde(default)]
    pub attributes: Vec<ObjectAttribute>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ObjectTypeRef {
    pub id: ObjectTypeId,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectAttribute {
    pub object_type_attribute_id: AttributeId,
    #[serde(default)]
    pub object_attribute_values: Vec<AttributeValue>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValue {
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    #[serde(default)]
    pub display_value: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeAttribute {
    pub id: AttributeId,
    pub name: String,
    #[serde(default)]
    pub object_type: Option<ObjectTypeRef>,
}

impl AssetObject {
    /// The first value of an attribute as text.
    pub fn value(&self, attr: &AttributeId) -> Option<String> {
        let a = self
            .attributes
            .iter()
            .find(|a| &a.object_type_attribute_id == attr)?;
        let v = a.object_attribute_values.first()?;
        let raw = v.value.as_ref().or(v.display_value.as_ref())?;
        let s = match raw {
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Null => return None,
            other => other.to_string(),
        };
        (!s.is_empty()).then_some(s)
    }

    pub fn type_id(&self) -> Option<&ObjectTypeId> {
        self.object_type.as_ref().map(|t| &t.id)
    }
}

/// One page of an AQL search, with the attribute definitions the service sent along.
pub type SearchPage = Page<AssetObject, Vec<TypeAttribute>>;

/// `POST /object/aql?startAt&maxResults&includeAttributes=true` (§3.2). `maxResults` is only a wish:
/// the service may cap it ("actual number may be less") and may echo the requested size.
pub fn search(urls: &Urls, aql: &str, start_at: u64, max_results: u32) -> Op<SearchPage> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct R {
        #[serde(default, deserialize_with = "opt_u64")]
        total: Option<u64>,
        #[serde(default, deserialize_with = "bool_or_string")]
        is_last: Option<bool>,
        #[serde(default, deserialize_with = "bool_or_string")]
        last: Option<bool>,
        #[serde(default)]
        values: Vec<AssetObject>,
        #[serde(default)]
        object_type_attributes: Vec<TypeAttribute>,
    }
    Op::safe(
        "assets.search",
        HttpRequest::json(
            Surface::Assets,
            "POST",
            format!(
                "{}/object/aql?startAt={start_at}&maxResults={max_results}&includeAttributes=true",
                urls.assets
            ),
            &json!({ "qlQuery": aql }),
        ),
        |r| {
            let p: R = r.json()?;
            Ok(Page {
                items: p.values,
                is_last: p.is_last.or(p.last),
                total: p.total,
                meta: p.object_type_attributes,
            })
        },
    )
}

/// `GET /objecttype/{id}/attributes` (§3.6).
pub fn type_attributes(urls: &Urls, type_id: &ObjectTypeId) -> Op<Vec<TypeAttribute>> {
    Op::safe(
        "assets.objectTypeAttributes",
        HttpRequest::get(
            Surface::Assets,
            format!(
                "{}/objecttype/{}/attributes",
                urls.assets,
                pct(type_id.as_str())
            ),
        ),
        |r| r.json(),
    )
}

/// `GET /objectschema/list?startAt&maxResults` (§3.6): one page of the workspace's schema ids.
pub fn schemas(urls: &Urls, start_at: u64) -> Op<Page<String>> {
    #[derive(Deserialize)]
    struct S {
        #[serde(deserialize_with = "crate::ids::string_or_number")]
        id: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct R {
        #[serde(default, deserialize_with = "opt_u64")]
        total: Option<u64>,
        #[serde(default, deserialize_with = "bool_or_string")]
        is_last: Option<bool>,
        #[serde(default)]
        values: Vec<S>,
    }
    Op::safe(
        "assets.schemas",
        HttpRequest::get(
            Surface::Assets,
            format!(
                "{}/objectschema/list?startAt={start_at}&maxResults=50",
                urls.assets
            ),
        ),
        |r| {
            let p: R = r.json()?;
            Ok(Page::new(
                p.values.into_iter().map(|s| s.id).collect(),
                p.is_last,
                p.total,
            ))
        },
    )
}

/// `GET /objectschema/{id}/attributes` (§3.6): the attributes of every object type in a schema,
/// each with its type, so an attribute given by id can be named in AQL (which takes names only:
/// support.atlassian.com/jira-service-management-cloud/docs/use-assets-query-language-aql).
pub fn schema_attributes(urls: &Urls, schema: &str) -> Op<Vec<TypeAttribute>> {
    Op::safe(
        "assets.schemaAttributes",
        HttpRequest::get(
            Surface::Assets,
            format!("{}/objectschema/{}/attributes", urls.assets, pct(schema)),
        ),
        |r| r.json(),
    )
}

/// The object type a customer query names (`objectTypeId = 4`), if it names one by id.
pub fn object_type_in(query: &str) -> Option<ObjectTypeId> {
    let lower = query.to_ascii_lowercase();
    let at = lower.find("objecttypeid")?;
    let rest = lower[at + "objecttypeid".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start().trim_start_matches('"');
    let id: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    (!id.is_empty()).then(|| ObjectTypeId::new(id))
}

/// The object type a customer query names by name (`objectType = "Customer"`), if any.
pub fn object_type_name_in(query: &str) -> Option<String> {
    let lower = query.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("objecttype") {
        let at = from + i + "objecttype".len();
        from = at;
        let rest = query[at..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let name: String = match rest.strip_prefix('"') {
            Some(q) => q.chars().take_while(|c| *c != '"').collect(),
            None => rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect(),
        };
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

/// Resolves an attribute given by id or by name (case-insensitive) among `attrs`; the error lists
/// close matches.
pub fn resolve_attribute(attrs: &[TypeAttribute], wanted: &str, path: &str) -> Result<AttributeId> {
    if let Some(a) = attrs.iter().find(|a| a.id.as_str() == wanted) {
        return Ok(a.id.clone());
    }
    if let Some(a) = attrs.iter().find(|a| a.name.eq_ignore_ascii_case(wanted)) {
        return Ok(a.id.clone());
    }
    let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
    Err(Error::config(
        path,
        format!(
            "no attribute {wanted:?} on the object type{}",
            crate::names::suggest(wanted, &names)
        ),
    ))
}

/// Whether an answer shows the new value.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    /// The answer is the object, holding the new value.
    Shown,
    /// The answer does not list the object's attributes: read it back to know.
    Unknown,
}

/// `PUT /object/{id}` changing one attribute; only the listed attributes change (§3.5). It carries
/// the object's `objectTypeId` as public clients and Atlassian's object template do (§14). A write is
/// done only when the answer (the updated object) shows the new value.
pub fn update_attribute(
    urls: &Urls,
    object: &ObjectId,
    object_type: Option<&ObjectTypeId>,
    attr: &AttributeId,
    value: &str,
) -> Op<Written> {
    let mut body = json!({"attributes": [{"objectTypeAttributeId": attr, "objectAttributeValues": [{"value": value}]}]});
    if let Some(t) = object_type {
        body["objectTypeId"] = json!(t);
    }
    let (attr, value) = (attr.clone(), value.to_string());
    Op::safe(
        "assets.updateObject",
        HttpRequest::json(
            Surface::Assets,
            "PUT",
            format!("{}/object/{}", urls.assets, pct(object.as_str())),
            &body,
        ),
        move |r| {
            let o: AssetObject = r.json()?;
            if o.attributes.is_empty() {
                return Ok(Written::Unknown);
            }
            shows(&o, &attr, &value).map_err(|m| r.unreadable(m))?;
            Ok(Written::Shown)
        },
    )
}

pub const GET_OBJECT: &str = "assets.getObject";

/// `GET /object/{id}` (§3.5): the object as Assets holds it now.
pub fn object(urls: &Urls, object: &ObjectId) -> Op<AssetObject> {
    Op::safe(
        GET_OBJECT,
        HttpRequest::get(
            Surface::Assets,
            format!("{}/object/{}", urls.assets, pct(object.as_str())),
        ),
        |r| r.json(),
    )
}

/// `Ok` when `o` holds `value` in `attr`, else what it holds instead.
pub fn shows(o: &AssetObject, attr: &AttributeId, value: &str) -> std::result::Result<(), String> {
    match o.value(attr) {
        Some(v) if v == value => Ok(()),
        other => Err(format!(
            "Assets does not show the new value in attribute {attr} (it holds {:?})",
            other.as_deref().map(crate::redact::short)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    #[test]
    fn quote_escapes_quotes_and_rejects_backslash_and_controls() {
        assert_eq!(quote("ACME").unwrap(), "\"ACME\"");
        assert_eq!(quote("15\" Screen").unwrap(), "\"15\\\" Screen\"");
        assert!(quote("a\\b").is_err());
        assert!(quote("a\nb").is_err());
    }

    #[test]
    fn substitute_replaces_every_placeholder_with_a_quoted_value() {
        let q = substitute(
            "objectTypeId = 4 AND Company = {company} OR Parent = {company}",
            "company",
            "A\"B",
        )
        .unwrap();
        assert_eq!(
            q,
            "objectTypeId = 4 AND Company = \"A\\\"B\" OR Parent = \"A\\\"B\""
        );
    }

    fn urls() -> Urls {
        Urls {
            site: "https://s".into(),
            customers: "https://a/c".into(),
            assets: "https://api/ws/v1".into(),
        }
    }

    #[test]
    fn search_sends_qlquery_and_paging() {
        let r = search(&urls(), "objectTypeId = 4", 25, 25).request;
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://api/ws/v1/object/aql?startAt=25&maxResults=25&includeAttributes=true"
        );
        assert_eq!(r.body.as_deref(), Some(r#"{"qlQuery":"objectTypeId = 4"}"#));
    }

    const DOC_EXAMPLE: &str = r#"{"startAt":0,"maxResults":25,"total":5,"isLast":"false","values":[
      {"workspaceId":"w","globalId":"w:88","id":"88","label":"Ada","objectKey":"CUS-88",
       "objectType":{"id":"4","name":"Customer"},
       "attributes":[{"id":"1","objectTypeAttributeId":"91","objectAttributeValues":[{"value":"qm:1:2","displayValue":"qm:1:2"}],"objectId":"88"},
                     {"id":"2","objectTypeAttributeId":"92","objectAttributeValues":[]}]}],
      "objectTypeAttributes":[{"id":"91","name":"Portal Account"},{"id":"92","name":"Email"}]}"#;

    #[test]
    fn parses_documented_example_with_string_is_last() {
        let p = answer(&search(&urls(), "x", 0, 25), 200, DOC_EXAMPLE).unwrap();
        assert_eq!(p.items.len(), 1);
        let o = &p.items[0];
        assert_eq!(o.id.as_str(), "88");
        assert_eq!(o.value(&AttributeId::new("91")).as_deref(), Some("qm:1:2"));
        assert_eq!(o.value(&AttributeId::new("92")), None);
        // isLast is the string "false": the page says so, the walker decides what follows
        assert_eq!((p.is_last, p.total), (Some(false), Some(5)));
        assert_eq!(
            resolve_attribute(&p.meta, "portal account", "$.x")
                .unwrap()
                .as_str(),
            "91"
        );
        assert_eq!(
            resolve_attribute(&p.meta, "92", "$.x").unwrap().as_str(),
            "92"
        );
    }

    #[test]
    fn a_customer_query_names_its_object_type_by_id() {
        assert_eq!(
            object_type_in("objectTypeId = 4 AND Company = {company}").map(|t| t.0),
            Some("4".into())
        );
        assert_eq!(
            object_type_in("ObjectTypeId=\"12\"").map(|t| t.0),
            Some("12".into())
        );
        assert_eq!(object_type_in("objectType = \"Customer\""), None);
        assert_eq!(
            object_type_name_in("objectTypeId = 4 AND objectType = \"Customer\" AND x = {company}"),
            Some("Customer".into())
        );
        assert_eq!(
            object_type_name_in("objectType = Company"),
            Some("Company".into())
        );
        assert_eq!(object_type_name_in("objectTypeId = 4"), None);
    }

    #[test]
    fn unknown_attribute_lists_close_matches() {
        let attrs = vec![TypeAttribute {
            id: "91".into(),
            name: "Portal Account".into(),
            object_type: None,
        }];
        let e = resolve_attribute(&attrs, "Portal Acount", "$.assets.portalAccountAttribute")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "config $.assets.portalAccountAttribute: no attribute \"Portal Acount\" on the object type (did you mean \"Portal Account\"?)"
        );
    }

    #[test]
    fn update_sends_only_the_attribute() {
        let op = update_attribute(
            &urls(),
            &ObjectId::new("88"),
            Some(&ObjectTypeId::new("4")),
            &AttributeId::new("91"),
            "712020:x",
        );
        let shown = r#"{"id":"88","attributes":[{"objectTypeAttributeId":"91","objectAttributeValues":[{"value":"712020:x"}]}]}"#;
        assert_eq!(answer(&op, 200, shown).unwrap(), Written::Shown);
        assert_eq!(
            answer(&op, 200, r#"{"id":"88"}"#).unwrap(),
            Written::Unknown
        );
        let old = r#"{"id":"88","attributes":[{"objectTypeAttributeId":"91","objectAttributeValues":[{"value":"qm:1"}]}]}"#;
        assert!(
            answer(&op, 200, old).is_err(),
            "a 200 that still shows the old value"
        );
        assert!(answer(&op, 200, r#"{"errorMessages":["no"]}"#).is_err());
        let r = op.request;
        assert_eq!(r.url, "https://api/ws/v1/object/88");
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"{"attributes":[{"objectAttributeValues":[{"value":"712020:x"}],"objectTypeAttributeId":"91"}],"objectTypeId":"4"}"#
            )
        );
    }
}

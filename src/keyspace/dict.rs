//! Temporary stand-in for the chained dict (same API), until it lands.
use std::collections::HashMap;

pub fn hash_key(key: &[u8]) -> u64 {
    static S: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    S.get_or_init(ahash::RandomState::new).hash_one(key)
}

pub struct Dict<V> {
    map: HashMap<Box<[u8]>, (V, u32)>,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    pub fn new() -> Self {
        Dict {
            map: HashMap::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get_hashed(&self, _h: u64, key: &[u8]) -> Option<&V> {
        self.map.get(key).map(|x| &x.0)
    }
    pub fn get_mut_hashed(&mut self, _h: u64, key: &[u8]) -> Option<&mut V> {
        self.map.get_mut(key).map(|x| &mut x.0)
    }
    pub fn insert_hashed(&mut self, _h: u64, key: &[u8], v: V) -> Option<V> {
        if let Some(x) = self.map.get_mut(key) {
            return Some(std::mem::replace(&mut x.0, v));
        }
        self.map.insert(key.into(), (v, 0));
        None
    }
    pub fn remove_hashed(&mut self, _h: u64, key: &[u8]) -> Option<V> {
        self.map.remove(key).map(|x| x.0)
    }
    pub fn clear(&mut self) {
        self.map.clear()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.map.iter().map(|(k, v)| (&k[..], &v.0))
    }
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if cursor == 0 {
            for (k, v) in &self.map {
                f(k, &v.0);
            }
        }
        0
    }
    pub fn random_entry(&self, _rng: &mut impl rand::Rng) -> Option<(&[u8], &V)> {
        self.iter().next()
    }
}

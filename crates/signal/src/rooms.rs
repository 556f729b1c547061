//! Room membership, sans IO: who is in which room, under which id, and who a message goes to.
//! The server's hub task owns one [`Rooms`] and does the sending.

use std::collections::HashMap;

use crate::protocol::reason;

/// A connection, numbered by the server.
pub type ConnId = u64;

/// Limits on rooms.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most members of one room.
    pub max_peers_per_room: usize,
    /// Most rooms at once (a room exists while it has members).
    pub max_rooms: usize,
}

/// A successful join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The new member's id.
    pub id: String,
    /// The others, in joining order, with their connections.
    pub peers: Vec<(ConnId, String)>,
}

/// Someone left a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// The id of who left.
    pub id: String,
    /// The remaining members' connections.
    pub others: Vec<ConnId>,
}

#[derive(Debug, Default)]
struct Room {
    /// Members in joining order; at most `max_peers_per_room`, so linear scans are cheap.
    members: Vec<(ConnId, String)>,
}

/// All rooms.
#[derive(Debug)]
pub struct Rooms {
    limits: Limits,
    rooms: HashMap<String, Room>,
    /// The room of each joined connection.
    member_of: HashMap<ConnId, String>,
    next_id: u64,
}

impl Rooms {
    /// No rooms yet.
    pub fn new(limits: Limits) -> Self {
        Rooms {
            limits,
            rooms: HashMap::new(),
            member_of: HashMap::new(),
            next_id: 1,
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Number of rooms.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// Adds `conn` to `room` under `id` (or a fresh id). Errors are `reason` codes.
    pub fn join(
        &mut self,
        conn: ConnId,
        room: &str,
        id: Option<&str>,
    ) -> Result<Joined, &'static str> {
        if self.member_of.contains_key(&conn) {
            return Err(reason::ALREADY_JOINED);
        }
        let existing = self.rooms.get(room);
        match existing {
            None if self.rooms.len() >= self.limits.max_rooms => {
                return Err(reason::TOO_MANY_ROOMS);
            }
            Some(r) if r.members.len() >= self.limits.max_peers_per_room => {
                return Err(reason::ROOM_FULL);
            }
            _ => {}
        }
        if self.limits.max_peers_per_room == 0 {
            return Err(reason::ROOM_FULL);
        }
        let taken = |name: &str| existing.is_some_and(|r| r.members.iter().any(|(_, m)| m == name));
        let id = match id {
            Some(id) if taken(id) => return Err(reason::ID_TAKEN),
            Some(id) => id.to_string(),
            None => loop {
                let candidate = format!("peer-{}", self.next_id);
                self.next_id = self.next_id.wrapping_add(1);
                if !taken(&candidate) {
                    break candidate;
                }
            },
        };
        let r = self.rooms.entry(room.to_string()).or_default();
        let peers = r.members.clone();
        r.members.push((conn, id.clone()));
        self.member_of.insert(conn, room.to_string());
        Ok(Joined { id, peers })
    }

    /// Removes `conn` from its room, if it is in one; deletes the room when it empties.
    pub fn leave(&mut self, conn: ConnId) -> Option<Left> {
        let name = self.member_of.remove(&conn)?;
        let room = self.rooms.get_mut(&name)?;
        let at = room.members.iter().position(|(c, _)| *c == conn)?;
        let (_, id) = room.members.remove(at);
        let others = room.members.iter().map(|(c, _)| *c).collect::<Vec<_>>();
        if room.members.is_empty() {
            self.rooms.remove(&name);
        }
        Some(Left { id, others })
    }

    /// The sender's id and the recipients of a relayed message: `to`, or every other member.
    pub fn route(
        &self,
        conn: ConnId,
        to: Option<&str>,
    ) -> Result<(String, Vec<ConnId>), &'static str> {
        let room = self
            .member_of
            .get(&conn)
            .and_then(|name| self.rooms.get(name))
            .ok_or(reason::NOT_JOINED)?;
        let from = room
            .members
            .iter()
            .find(|(c, _)| *c == conn)
            .map(|(_, id)| id.clone())
            .ok_or(reason::NOT_JOINED)?;
        let recipients: Vec<ConnId> = match to {
            Some(to) => {
                let found = room
                    .members
                    .iter()
                    .find(|(c, id)| id == to && *c != conn)
                    .map(|(c, _)| *c)
                    .ok_or(reason::NO_SUCH_PEER)?;
                vec![found]
            }
            None => room
                .members
                .iter()
                .filter(|(c, _)| *c != conn)
                .map(|(c, _)| *c)
                .collect(),
        };
        Ok((from, recipients))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(max_peers_per_room: usize, max_rooms: usize) -> Rooms {
        Rooms::new(Limits {
            max_peers_per_room,
            max_rooms,
        })
    }

    #[test]
    fn join_route_leave() {
        let mut r = rooms(3, 10);
        let a = r.join(1, "r", Some("alice")).unwrap();
        assert_eq!(a.id, "alice");
        assert!(a.peers.is_empty());
        let b = r.join(2, "r", None).unwrap();
        assert_eq!(b.peers, vec![(1, "alice".to_string())]);
        assert_eq!(r.route(1, None).unwrap(), ("alice".into(), vec![2]));
        assert_eq!(r.route(2, Some("alice")).unwrap(), (b.id.clone(), vec![1]));
        assert_eq!(r.route(2, Some("nobody")), Err(reason::NO_SUCH_PEER));
        assert_eq!(r.route(2, Some(&b.id)), Err(reason::NO_SUCH_PEER));
        assert_eq!(r.route(3, None), Err(reason::NOT_JOINED));
        assert_eq!(r.join(1, "other", None), Err(reason::ALREADY_JOINED));
        assert_eq!(r.join(3, "r", Some("alice")), Err(reason::ID_TAKEN));
        let left = r.leave(1).unwrap();
        assert_eq!(
            left,
            Left {
                id: "alice".into(),
                others: vec![2]
            }
        );
        assert_eq!(r.leave(1), None);
        r.leave(2).unwrap();
        assert_eq!(r.room_count(), 0);
    }

    #[test]
    fn limits() {
        let mut r = rooms(2, 1);
        r.join(1, "a", None).unwrap();
        r.join(2, "a", None).unwrap();
        assert_eq!(r.join(3, "a", None), Err(reason::ROOM_FULL));
        assert_eq!(r.join(3, "b", None), Err(reason::TOO_MANY_ROOMS));
        r.leave(1);
        r.leave(2);
        r.join(3, "b", None).unwrap();
        let mut zero = rooms(0, 1);
        assert_eq!(zero.join(1, "a", None), Err(reason::ROOM_FULL));
    }

    #[test]
    fn generated_ids_avoid_requested_ones() {
        let mut r = rooms(3, 1);
        r.join(1, "a", Some("peer-1")).unwrap();
        let b = r.join(2, "a", None).unwrap();
        assert_ne!(b.id, "peer-1");
    }
}
